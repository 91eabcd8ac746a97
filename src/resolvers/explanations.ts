import type { Context } from '../context.js';
import type { Method } from '../engine/methods.js';
import {
  cancelExplanation as cancel,
  deleteExplanation as remove,
  requestExplanation as request,
  retryExplanation as retry,
} from '../services/explanations.js';
import { lifecycleResolvers, withRetryAfter } from './lifecycle.js';

type Id = { id: string };

export type TargetArg = { topK?: number | null; classIndices?: number[] | null } | null;
export type ParametersArg = Record<string, Record<string, unknown> | null | undefined> | null;

interface RequestArgs {
  input: {
    image: Id;
    model: Id;
    method: Method;
    target?: TargetArg;
    parameters?: ParametersArg;
    evaluation?: { faithfulness?: object | null; randomization?: object | null } | null;
    seed?: number | null;
    priority?: number | null;
    study?: Id | null;
    force?: boolean | null;
  };
}

/** GraphQL lists arrive as plain arrays; the engine wants fixed RGB triples and plain ids. */
export function toEngineParameters(p: ParametersArg | undefined): Record<string, object | null | undefined> {
  if (!p) return {};
  const out: Record<string, object | null | undefined> = { ...p };
  const g = p.gradient as { baselineImages?: Id[] | null } | null | undefined;
  if (g?.baselineImages) {
    const { baselineImages, ...rest } = g;
    out.gradient = { ...rest, baselineImageIds: baselineImages.map((b) => b.id) };
  }
  return out;
}

export function requestExplanation(_root: unknown, { input }: RequestArgs, ctx: Context) {
  return withRetryAfter(ctx, () => request(ctx.app, {
    imageId: input.image.id,
    modelId: input.model.id,
    method: input.method,
    target: input.target ?? null,
    parameters: toEngineParameters(input.parameters),
    evaluation: input.evaluation ?? null,
    seed: input.seed ?? null,
    priority: input.priority ?? 0,
    studyId: input.study?.id ?? null,
    force: input.force ?? false,
    principal: ctx.principal,
  }));
}

/** cancelExplanation, retryExplanation, deleteExplanation. */
export const lifecycle = lifecycleResolvers('Explanation', { cancel, retry, remove });
