// Live explanation state. A subscriber first receives the current state, so connecting late is safe.
import { builder } from '../builder.js';
import { ExplanationStatusEnum } from './enums.js';
import { rowSubscription } from './live.js';
import { ExplanationRef, ModelRef, StudyRef } from './nodes.js';
import { reviveExplanation } from '../../events.js';
import { TERMINAL, type Status } from '../../services/explanation-states.js';
import { findExplanation } from '../../services/queries.js';

builder.subscriptionFields((t) => ({
  explanationUpdated: rowSubscription(t, 'explanation', {
    type: ExplanationRef,
    description: 'The current state, then every change until the terminal state (then the stream completes)',
    load: findExplanation,
    changed: reviveExplanation,
    isFinal: (e) => TERMINAL.includes(e.status as Status),
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
