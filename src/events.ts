// In-process change feed for explanations; the subscription resolvers read from it.
import { createPubSub } from 'graphql-yoga';
import type { Explanation } from './generated/sqlite/client.js';

export type ExplanationEvent = Explanation;

export function createEvents() {
  const pubsub = createPubSub<{ explanation: [id: string, payload: ExplanationEvent]; explanations: [payload: ExplanationEvent] }>();
  return {
    pubsub,
    explanationChanged(e: Explanation) {
      pubsub.publish('explanation', e.id, e);
      pubsub.publish('explanations', e);
    },
  };
}

export type Events = ReturnType<typeof createEvents>;
