// Live explanation state. A subscriber first receives the current state, so connecting late is safe.
import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import { GraphQLError } from 'graphql';
import { builder } from '../builder.js';
import { ExplanationStatusEnum } from './enums.js';
import { ExplanationRef, ModelRef, StudyRef } from './nodes.js';
import type { Explanation } from '../../generated/sqlite/client.js';
import { reviveExplanation } from '../../events.js';
import { TERMINAL, type Status } from '../../services/explanation-states.js';
import { findExplanation } from '../../services/queries.js';

builder.subscriptionFields((t) => ({
  explanationUpdated: t.field({
    type: ExplanationRef,
    description: 'The current state, then every change until the terminal state (then the stream completes)',
    args: { id: t.arg.globalID({ for: ExplanationRef, required: true }) },
    // Each state supersedes the previous one: a subscriber that falls behind (slow socket, busy server)
    // gets the latest state instead of a backlog; the terminal state is never dropped.
    subscribe: (_r, { id }, ctx) =>
      new Repeater<Explanation>(async (push, stop) => {
        const it = ctx.app.events.pubsub.subscribe('explanation', id.id)[Symbol.asyncIterator]();
        stop.then(() => it.return?.());
        const current = await findExplanation(ctx.app, id.id);
        if (!current) {
          stop(new GraphQLError(`Explanation ${id.id} does not exist`, { extensions: { code: 'NOT_FOUND' } }));
          return;
        }
        await push(current);
        if (TERMINAL.includes(current.status as Status)) return stop();
        for (let r = await it.next(); !r.done; r = await it.next()) {
          const e = reviveExplanation(r.value);
          await push(e);
          if (TERMINAL.includes(e.status as Status)) return stop();
        }
      }, new SlidingBuffer(1)),
    resolve: (e) => e,
  }),
  explanationsUpdated: t.field({
    type: ExplanationRef,
    description: 'Every change of every explanation matching the filter (for dashboards)',
    args: {
      model: t.arg.globalID({ for: ModelRef }),
      status: t.arg({ type: [ExplanationStatusEnum] }),
      study: t.arg.globalID({ for: StudyRef }),
    },
    subscribe: (_r, args, ctx) => {
      const it = ctx.app.events.pubsub.subscribe('explanations');
      return (async function* () {
        for await (const raw of it) {
          const e = reviveExplanation(raw);
          if (args.model && e.modelId !== args.model.id) continue;
          if (args.status?.length && !args.status.includes(e.status as never)) continue;
          if (args.study && e.studyId !== args.study.id) continue;
          yield e;
        }
      })();
    },
    resolve: (e) => e,
  }),
}));
