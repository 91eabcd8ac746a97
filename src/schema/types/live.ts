// A subscription to one row (an explanation, a study): its current state first, so connecting late
// is safe, then its state after every change until it is final. Changes come in bursts (every
// progress report), so a subscriber that falls behind (slow socket, busy server) gets the latest
// state instead of a backlog; the final state is never dropped.
import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import { GraphQLError } from 'graphql';
import type { ObjectRef } from '@pothos/core';
import type { App } from '../../app.js';
import type { Context } from '../../context.js';
import type { Topics } from '../../events.js';
import { builder } from '../builder.js';
import type { Types } from './fields.js';

/** The topics that carry one row's changes, by row id. */
type Topic = 'explanation' | 'study';
type Payload<K extends Topic> = Topics[K][1];

type SubscriptionFields = Parameters<Parameters<typeof builder.subscriptionFields>[0]>[0];

/** `name(id: ID!): Type`: the row's states over the topic of its changes. */
export function rowSubscription<K extends Topic, Row>(
  t: SubscriptionFields,
  topic: K,
  spec: {
    type: ObjectRef<Types, Row>;
    description: string;
    load: (app: App, id: string) => Promise<Row | null>;
    /** The state a change event stands for; null when the row is gone, which ends the stream. */
    changed: (payload: Payload<K>, app: App, id: string) => Row | null | Promise<Row | null>;
    isFinal: (row: Row) => boolean;
  },
) {
  return t.field({
    type: spec.type as ObjectRef<Types, unknown>,
    description: spec.description,
    args: { id: t.arg.globalID({ for: spec.type, required: true }) },
    subscribe: (_r, { id }, ctx) =>
      latestStates(ctx, topic, id.id, {
        typename: spec.type.name,
        load: () => spec.load(ctx.app, id.id),
        changed: (payload) => spec.changed(payload, ctx.app, id.id),
        isFinal: spec.isFinal,
      }),
    resolve: (row) => row,
  });
}

function latestStates<K extends Topic, Row>(
  ctx: Context,
  topic: K,
  id: string,
  row: {
    /** Names the row in the NOT_FOUND error when it does not exist. */
    typename: string;
    load: () => Promise<Row | null>;
    /** The state a change event stands for; null when the row is gone, which ends the stream. */
    changed: (payload: Payload<K>) => Row | null | Promise<Row | null>;
    isFinal: (row: Row) => boolean;
  },
): Repeater<Row> {
  return new Repeater<Row>(async (push, stop) => {
    const it = ctx.app.events.pubsub.subscribe<Topic>(topic, id)[Symbol.asyncIterator]();
    stop.then(() => it.return?.());
    let current = await row.load();
    if (!current) {
      stop(new GraphQLError(`${row.typename} ${id} does not exist`, { extensions: { code: 'NOT_FOUND' } }));
      return;
    }
    for (;;) {
      await push(current);
      if (row.isFinal(current)) return stop();
      const next = await it.next();
      if (next.done) return;
      current = await row.changed(next.value as Payload<K>);
      if (!current) return stop();
    }
  }, new SlidingBuffer(1));
}
