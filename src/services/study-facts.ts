// What a study's results are made of, loaded once per request: its images, models and methods in
// study order, and every cell with its explanation and stored files. Predictions, comparisons and
// the report are derived from these facts (engine/report/tables.ts), so all three agree.
import type { App } from '../app.js';
import type { Binarization } from '../engine/metrics/binarize.js';
import { synsetFromFileName } from '../engine/file-name-synset.js';
import type { GroundTruth } from '../engine/report/tables.js';
import type { Artifact, Explanation, Image, Model, Study, StudyMethod } from '../generated/sqlite/client.js';
import { NotFoundError } from '../errors.js';

export interface FactCell {
  image: number;
  model: number;
  method: number;
  explanation: Explanation | null;
  artifacts: Artifact[];
}

export interface StudyFacts {
  study: Study;
  images: { image: Image; groundTruth: GroundTruth | null }[];
  models: Model[];
  methods: (StudyMethod & { binarization: Binarization })[];
  cells: FactCell[];
}

/** Methods whose maps are per-superpixel weights (LIME_FEATURES applies); the others' are per pixel. */
export const hasSegments = (method: string) => method === 'LIME' || method === 'KERNEL_SHAP';

/**
 * The binarization a method's maps get unless a comparison says otherwise: LIME's 5 top positive
 * superpixels (lime's get_image_and_mask default view, as the seeds compare them), every other map
 * thresholded at 0.5 after min–max scaling.
 */
export function defaultBinarization(method: string): Binarization {
  if (hasSegments(method)) return { kind: 'LIME_FEATURES', numFeatures: 5 };
  return { kind: 'THRESHOLD', value: 0.5 };
}

function groundTruthOf(given: unknown, image: Image): GroundTruth | null {
  const g = given as { synset?: string | null; label?: string | null } | null;
  if (g && (g.synset || g.label)) return { synset: g.synset ?? null, label: g.label ?? null, source: 'INPUT' };
  const synset = synsetFromFileName(image.originalName);
  return synset ? { synset, label: null, source: 'FILE_NAME' } : null;
}

export async function loadStudyFacts(app: App, studyId: string): Promise<StudyFacts> {
  const study = await app.prisma.study.findUnique({ where: { id: studyId } });
  if (!study) throw new NotFoundError('Study', studyId);
  const [images, models, methods, cells] = await Promise.all([
    app.prisma.studyImage.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { image: true } }),
    app.prisma.studyModel.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { model: true } }),
    app.prisma.studyMethod.findMany({ where: { studyId }, orderBy: { position: 'asc' } }),
    app.prisma.studyCell.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { explanation: { include: { artifacts: true } } } }),
  ]);
  const imageAt = new Map(images.map((r, i) => [r.imageId, i]));
  const modelAt = new Map(models.map((r, i) => [r.modelId, i]));
  const methodAt = new Map(methods.map((m, i) => [m.key, i]));
  return {
    study,
    images: images.map((r) => ({ image: r.image, groundTruth: groundTruthOf(r.groundTruth, r.image) })),
    models: models.map((r) => r.model),
    methods: methods.map((m) => ({ ...m, binarization: defaultBinarization(m.method) })),
    cells: cells.map((c) => {
      const { artifacts = [], ...explanation } = c.explanation ?? {};
      return {
        image: imageAt.get(c.imageId)!,
        model: modelAt.get(c.modelId)!,
        method: methodAt.get(c.methodKey)!,
        explanation: c.explanation ? (explanation as Explanation) : null,
        artifacts: c.explanation ? artifacts : [],
      };
    }),
  };
}
