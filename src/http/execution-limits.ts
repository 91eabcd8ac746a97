// Bounded work per operation, the same over HTTP, SSE and websocket (all of them execute through this
// envelop): the cost limit with the real variables (cost.ts), and a deadline for queries and mutations
// after which execution stops resolving fields and the request is answered with REQUEST_TIMEOUT.
// A root field whose work grows with a bounded input rather than with the query (registerModel reads,
// hashes and loads a model of up to XAI_MAX_MODEL_BYTES) has its own deadline; an operation gets the
// longest deadline among its root fields.
// Subscriptions live as long as their client wants; each of their events is bounded by the cost limit.
import { getOperationAST, GraphQLError, Kind, type ExecutionArgs, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { CostError, operationCost } from './cost.js';

export interface ExecutionLimits {
  maxCost: number;
  requestTimeoutMs: number;
  /** Deadlines that replace requestTimeoutMs for operations selecting these root fields. */
  rootFieldTimeoutMs?: Record<string, number>;
}

function rootFieldNames(args: ExecutionArgs): string[] {
  const names: string[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.push(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else {
        const fragment = args.document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION) visit(fragment.selectionSet);
      }
    }
  };
  const operation = getOperationAST(args.document, args.operationName);
  if (operation) visit(operation.selectionSet);
  return names;
}

function deadlineOf(args: ExecutionArgs, limits: ExecutionLimits): number {
  const own = limits.rootFieldTimeoutMs;
  if (!own) return limits.requestTimeoutMs;
  const fields = rootFieldNames(args);
  return fields.length ? Math.max(...fields.map((n) => own[n] ?? limits.requestTimeoutMs)) : limits.requestTimeoutMs;
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
      const timeoutMs = deadlineOf(args, limits);
      const timer = setTimeout(
        () =>
          deadline.abort(
            new GraphQLError(`the request took longer than ${timeoutMs} ms and was stopped`, {
              extensions: { code: 'REQUEST_TIMEOUT', timeoutMs, http: { status: 503 } },
            }),
          ),
        timeoutMs,
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
