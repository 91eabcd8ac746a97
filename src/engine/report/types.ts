// What a report is made from: the study's stored facts, in study order (indices into images,
// models and methods).
import type { Binarization } from '../metrics/binarize.ts';
import type { StabilityFact } from './stability.ts';
import type { AgreementFact, FaithfulnessFact, GroundTruth, PairSpec, PredictionFact, RandomizationFact } from './tables.ts';

export interface ReportCell {
  image: number;
  model: number;
  method: number;
  status: string;
  caption: string | null;
  explanationId: string | null;
  /** Figures by view ('default', and 'lime-both' for LIME cells). */
  tiles: Record<string, Buffer | null>;
  /** The cell's stored files (name and content hash), so downloaded artifacts can be checked. */
  artifacts: { name: string; sha256: string }[];
}

export interface ReportInput {
  study: { id: string; name: string; description: string | null; seed: number };
  /** The study's normalized request (images, models, methods with parameters, options), as stored. */
  parameters: unknown;
  images: { id: string; name: string; groundTruth: GroundTruth | null }[];
  models: { id: string; name: string; version: string }[];
  methods: { label: string; method: string; binarization: Binarization }[];
  cells: ReportCell[];
  predictions: PredictionFact[];
  pairs: PairSpec[];
  agreement: AgreementFact[];
  faithfulness: FaithfulnessFact[];
  randomization: RandomizationFact[];
  /** LIME / Kernel SHAP cells' uncertainty (stabilityFact of their stored results); optional. */
  stability?: StabilityFact[];
}

