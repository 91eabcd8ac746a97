// Every method family's parameter defaults, once (methods.ts checks them against the parameter types
// and validates). Without Node imports, so the portal and the CLI complete a method's parameters
// with the same defaults the service fills in: two methods that differ only in writing out a default
// are one request (one request key) to the service, and a repeat to the clients as well.
import { EngineError } from './errors.ts';

// scikit-image defaults per algorithm (quickshift with LIME's kernel_size/max_dist/ratio).
export const SEGMENTATION_DEFAULTS = {
  QUICKSHIFT: { algorithm: 'QUICKSHIFT', kernelSize: 4, maxDist: 200, ratio: 0.2, sigma: 0 },
  SLIC: { algorithm: 'SLIC', nSegments: 50, compactness: 10, sigma: 0 },
  FELZENSZWALB: { algorithm: 'FELZENSZWALB', scale: 1, sigma: 0.8, minSize: 20 },
} as const;

// Plain sampling by default (reference-exact); the stability of the top 5 is reported either way.
const STABILITY_DEFAULTS = { adaptive: false, confidence: 0.95, stabilityTopK: 5, stoppingRule: 'STABILITY', gainTolerance: 0.25 } as const;

export const DEFAULTS = {
  cam: { targetLayer: null, augSmooth: false, eigenSmooth: false, batchSize: 32 },
  // SmoothGrad paper: 50 samples, 15% noise; Captum/IG practice: 50 steps; SHAP GradientExplainer: 200 samples.
  gradient: { samples: 50, noiseLevel: 0.15, steps: 50, baseline: 'BLACK', baselineImageIds: [] as string[], batchSize: 16, alphaSampling: 'SHAP' },
  // lime_image.explain_instance defaults: 1000 samples, top_labels 5, kernel width 0.25, batch 10.
  lime: {
    numSamples: 1000,
    numFeatures: 100000,
    topLabels: 5,
    kernelWidth: 0.25,
    featureSelection: 'AUTO',
    hide: { kind: 'MEAN' },
    segmentation: SEGMENTATION_DEFAULTS.QUICKSHIFT,
    batchSize: 10,
    maskDesign: 'LIME',
    ...STABILITY_DEFAULTS,
  },
  kernelShap: { nsamples: null, hide: { kind: 'MEAN' }, segmentation: SEGMENTATION_DEFAULTS.SLIC, batchSize: 50, ...STABILITY_DEFAULTS },
  // The SHAP image examples use masker "blur(128,128)" and max_evals 500 with batch_size 50.
  partitionShap: { maxEvals: 500, masker: { kind: 'BLUR', kernel: 128 }, batchSize: 50 },
} as const;

export type DefaultedBlock = keyof typeof DEFAULTS;

export function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** Keeps only the chosen algorithm's parameters, filling the rest with its defaults. */
function completeSegmentation(s: { algorithm?: string }): Record<string, unknown> {
  const base = SEGMENTATION_DEFAULTS[(s.algorithm ?? 'QUICKSHIFT') as keyof typeof SEGMENTATION_DEFAULTS] as Record<string, unknown> | undefined;
  if (!base) throw new EngineError('INVALID_ARGUMENT', `unknown segmentation algorithm ${s.algorithm}`);
  const given = withoutNulls(s as Record<string, unknown>);
  return Object.fromEntries(Object.keys(base).map((k) => [k, given[k] ?? base[k]]));
}

/**
 * A family's parameter block as given, completed with DEFAULTS (nested segmentation, hide and masker
 * too), not yet validated: what normalizeParameters stores and a request key hashes.
 */
export function completeBlock(key: DefaultedBlock, block: object | null | undefined): Record<string, unknown> {
  const given = withoutNulls((block ?? {}) as Record<string, unknown>);
  if (given.segmentation) given.segmentation = completeSegmentation(given.segmentation as { algorithm?: string });
  if (given.hide) given.hide = withoutNulls(given.hide as Record<string, unknown>);
  if (given.masker) {
    const m = withoutNulls(given.masker as Record<string, unknown>);
    given.masker = m.kind === 'BLUR' ? { kernel: DEFAULTS.partitionShap.masker.kernel, ...m } : m;
  }
  return { ...DEFAULTS[key], ...given };
}
