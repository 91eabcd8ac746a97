// Bounded work per operation, the same over HTTP, SSE and websocket (all of them execute through this
// envelop): the cost limit with the real variables (cost.ts), and a deadline for queries and mutations
// after which execution stops resolving fields and the request is answered with REQUEST_TIMEOUT.
// Subscriptions live as long as their client wants; each of their events is bounded by the cost limit.
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { CostError, operationCost } from './cost.js';

export interface ExecutionLimits {
  maxCost: number;
  requestTimeoutMs: number;
}

function costError(args: ExecutionArgs, maxCost: number): GraphQLError | null {
  try {
    const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined);
    if (cost <= maxCost) return null;
    return new GraphQLError(`the operation costs ${cost}, more than the limit of ${maxCost}: ask for fewer items (first/last, ids) or fewer fields`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: { status: 400 } },
    });
  } catch (e) {
    if (e instanceof CostError) return e;
    throw e;
  }
}

export function executionLimits(limits: ExecutionLimits): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = costError(args, limits.maxCost);
      if (refused) return void setResultAndStopExecution({ errors: [refused] });
      const deadline = new AbortController();
      const timer = setTimeout(
        () =>
          deadline.abort(
            new GraphQLError(`the request took longer than ${limits.requestTimeoutMs} ms (XAI_REQUEST_TIMEOUT_MS) and was stopped`, {
              extensions: { code: 'REQUEST_TIMEOUT', http: { status: 503 } },
            }),
          ),
        limits.requestTimeoutMs,
      );
      // The executor stops resolving fields once the signal aborts; a client that goes away aborts too.
      const upstream = (args.contextValue as { request?: Request } | undefined)?.request?.signal;
      (args as { signal?: AbortSignal }).signal = upstream ? AbortSignal.any([upstream, deadline.signal]) : deadline.signal;
      return { onExecuteDone: () => clearTimeout(timer) };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = costError(args, limits.maxCost);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
