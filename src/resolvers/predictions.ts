import type { Context } from '../context.js';
import { runPrediction } from '../services/predictions.js';

export function predict(_root: unknown, args: { input: { image: { id: string }; model: { id: string }; topK?: number | null } }, ctx: Context) {
  const { image, model, topK } = args.input;
  return runPrediction(ctx.app, image.id, model.id, topK ?? 5);
}
