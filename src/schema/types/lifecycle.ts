// The cancel / retry / delete mutations of an owned row (explanations, studies) share their shape:
// a global id argument, the ownership errors (retry adds RATE_LIMITED), the row back (delete: its id).
import type { lifecycleResolvers } from '../../resolvers/lifecycle.js';
import { builder } from '../builder.js';
import { OWNED_ERRORS, RETRY_ERRORS } from './errors.js';

type MutationFields = Parameters<Parameters<typeof builder.mutationFields>[0]>[0];
type Resolvers<Row> = ReturnType<typeof lifecycleResolvers<Row>>;

export function lifecycleMutations<Row>(
  t: MutationFields,
  /** Names the mutations: cancel<Noun>, retry<Noun>, delete<Noun>. */
  noun: string,
  ref: ReturnType<typeof builder.objectRef<Row>>,
  resolvers: Resolvers<Row>,
  descriptions: { cancel: string; retry: string; remove: string },
) {
  // ref and resolvers agree on Row at the call site; Pothos' conditional result type cannot be
  // resolved for a generic Row inside this function, hence the one cast.
  type RowResolver = (root: unknown, args: { id: { id: string } }, ctx: Parameters<Resolvers<Row>['cancel']>[2]) => never;
  const args = () => ({ id: t.arg.globalID({ for: ref, required: true }) });
  return {
    [`cancel${noun}`]: t.field({ type: ref, description: descriptions.cancel, errors: { types: OWNED_ERRORS }, args: args(), resolve: resolvers.cancel as RowResolver }),
    [`retry${noun}`]: t.field({ type: ref, description: descriptions.retry, errors: { types: RETRY_ERRORS }, args: args(), resolve: resolvers.retry as RowResolver }),
    [`delete${noun}`]: t.field({ type: 'ID', description: descriptions.remove, errors: { types: OWNED_ERRORS }, args: args(), resolve: resolvers.remove }),
  };
}
