// Change feed for explanations. In-process by default; with Redis, every API node and worker shares
// it, so a subscriber on one node sees progress published by a worker on another.
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Explanation } from './generated/sqlite/client.js';

export type Topics = {
  explanation: [id: string, payload: Explanation];
  explanations: [payload: Explanation];
  /** A study's cells or state changed: subscribers read its current state. */
  study: [id: string, payload: { id: string }];
  /** Cancellation requests, so the worker holding a job can stop it. */
  cancel: [id: string];
};

const DATE_FIELDS = ['createdAt', 'queuedAt', 'startedAt', 'finishedAt', 'updatedAt'] as const;

/** Events that crossed Redis arrive as JSON; turn the timestamps back into Dates. */
export function reviveExplanation(e: Explanation): Explanation {
  const out = { ...e } as Record<string, unknown>;
  for (const f of DATE_FIELDS) if (typeof out[f] === 'string') out[f] = new Date(out[f] as string);
  return out as unknown as Explanation;
}

export function createEvents(redis?: { publish: Redis; subscribe: Redis }) {
  // In-process, every subscriber is a listener on its topic; thousands per job are expected, not a leak.
  const local = new EventTarget();
  setMaxListeners(0, local);
  // The Redis target needs no such setting: it SUBSCRIBEs once per topic, keeps the subscribers in a
  // Set fanned out from one 'message' listener, and UNSUBSCRIBEs when the last one leaves
  // (test/jobs/events.test.ts checks this against a real redis-server).
  const pubsub = createPubSub<Topics>({
    eventTarget: redis ? createRedisEventTarget({ publishClient: redis.publish, subscribeClient: redis.subscribe }) : local,
  });
  return {
    pubsub,
    explanationChanged(e: Explanation) {
      pubsub.publish('explanation', e.id, e);
      pubsub.publish('explanations', e);
    },
    studyChanged(id: string) {
      pubsub.publish('study', id, { id });
    },
    requestCancel(id: string) {
      pubsub.publish('cancel', id);
    },
  };
}

export type Events = ReturnType<typeof createEvents>;
