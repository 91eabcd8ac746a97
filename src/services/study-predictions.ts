// A study's predictions table: per image and model the top-k classes with probabilities and synsets,
// flagged where the models disagree and where a model is wrong against the ground truth (given with
// the study, or read from ImageNet-style file names). Stored predictions are reused; missing ones
// are run once and stored.
import type { App } from '../app.js';
import { predictionRows, type GroundTruth, type PredictionFact, type PredictionRow } from '../engine/report/tables.js';
import type { ClassScore } from '../engine/types.js';
import { InvalidArgumentError } from '../errors.js';
import { runPrediction } from './predictions.js';
import type { StudyFacts } from './study-facts.js';

export const STUDY_TOP_K = { default: 5, max: 20 } as const;

export async function predictionFacts(app: App, facts: StudyFacts, topK: number): Promise<PredictionFact[]> {
  if (!Number.isInteger(topK) || topK < 1 || topK > STUDY_TOP_K.max) throw new InvalidArgumentError('topK', `topK must be between 1 and ${STUDY_TOP_K.max}, got ${topK}`);
  // A model with fewer classes gives all of them.
  const kOf = (m: { numClasses: number }) => Math.min(topK, m.numClasses);
  const stored = await app.prisma.prediction.findMany({
    where: { imageId: { in: facts.images.map((i) => i.image.id) }, OR: facts.models.map((m) => ({ modelId: m.id, topK: { gte: kOf(m) } })) },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  // The oldest sufficient prediction of each pair, so the table does not change as more are stored.
  const found = new Map<string, ClassScore[]>();
  for (const p of stored) {
    const key = `${p.imageId}|${p.modelId}`;
    if (!found.has(key)) found.set(key, p.classes as unknown as ClassScore[]);
  }
  const out: PredictionFact[] = [];
  for (const [i, { image }] of facts.images.entries()) {
    for (const [m, model] of facts.models.entries()) {
      let classes = found.get(`${image.id}|${model.id}`);
      if (!classes) classes = (await runPrediction(app, image.id, model.id, kOf(model))).classes as unknown as ClassScore[];
      out.push({ image: i, model: m, classes: classes.slice(0, topK) });
    }
  }
  return out;
}

export type StudyPredictionRow = PredictionRow & { imageId: string; modelId: string; groundTruth: GroundTruth | null };

export async function studyPredictions(app: App, facts: StudyFacts, topK: number = STUDY_TOP_K.default): Promise<StudyPredictionRow[]> {
  const rows = predictionRows(await predictionFacts(app, facts, topK), facts.images.map((i) => i.groundTruth));
  return rows.map((r) => ({ ...r, imageId: facts.images[r.image].image.id, modelId: facts.models[r.model].id, groundTruth: facts.images[r.image].groundTruth }));
}
