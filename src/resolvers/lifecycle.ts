// Cancel, retry and delete read the same for every owned row (explanations, studies): a global id
// in, the service call, Retry-After on a quota refusal, and the deleted row's global id out.
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Context } from '../context.js';
import { RateLimitedError } from '../errors.js';

type Id = { id: string };

/** A quota refusal is the mutation's RateLimitedError member; over HTTP it also sets Retry-After. */
export async function withRetryAfter<T>(ctx: Context, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof RateLimitedError) ctx.responseHeaders['retry-after'] = String(e.retryAfterSeconds);
    throw e;
  }
}

type OwnedCall<T> = (app: Context['app'], id: string, principal: Context['principal']) => Promise<T>;

export function lifecycleResolvers<Row>(typename: string, service: { cancel: OwnedCall<Row>; retry: OwnedCall<Row>; remove: OwnedCall<unknown> }) {
  return {
    cancel: (_root: unknown, args: { id: Id }, ctx: Context) => service.cancel(ctx.app, args.id.id, ctx.principal),
    retry: (_root: unknown, args: { id: Id }, ctx: Context) => withRetryAfter(ctx, () => service.retry(ctx.app, args.id.id, ctx.principal)),
    /** Returns the deleted row's global id. */
    remove: async (_root: unknown, args: { id: Id }, ctx: Context) => {
      await service.remove(ctx.app, args.id.id, ctx.principal);
      return encodeGlobalID(typename, args.id.id);
    },
  };
}
