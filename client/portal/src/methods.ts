// The explanation methods the portal offers (the SDK's list, generated from the engine's method
// registry), their parameter blocks, and how their results are drawn.
import { DEFAULTS } from '../../../src/engine/method-defaults.ts';
import { EXPLANATION_METHODS, type AlphaSampling, type ExplanationMethodInfo } from '../../sdk/index.ts';
import type { Method } from './types.ts';

export type Family = ExplanationMethodInfo['parameters'];
export type Group = 'CAM family' | 'Gradients' | 'Perturbation';

export interface MethodInfo {
  method: Method;
  label: string;
  family: Family;
  /** Signed maps (positive and negative evidence) use the red/blue diverging colormap. */
  signed: boolean;
  group: Group;
}

const GROUPS: Record<ExplanationMethodInfo['family'], Group> = { CAM: 'CAM family', GRADIENT: 'Gradients', PERTURBATION: 'Perturbation' };

export const METHODS: MethodInfo[] = EXPLANATION_METHODS.map((m) => ({
  method: m.method,
  label: m.displayName,
  family: m.parameters,
  signed: m.signed,
  group: GROUPS[m.family],
}));

/** Groups in the order of their first method. */
export const GROUP_ORDER: Group[] = [...new Set(METHODS.map((m) => m.group))];
export const METHOD_INFO = new Map(METHODS.map((m) => [m.method, m]));
export const methodLabel = (m: Method) => METHOD_INFO.get(m)?.label ?? m;
export const methodOrder = (m: Method) => METHODS.findIndex((x) => x.method === m);

/**
 * Which keys the colour legend shows for these finished methods: the diverging key for signed maps
 * (LIME has its own superpixel key), the viridis key for unsigned ones.
 */
export function legendKeys(methods: readonly Method[]): { signed: boolean; unsigned: boolean; lime: boolean } {
  return {
    signed: methods.some((m) => m !== 'LIME' && METHOD_INFO.get(m)?.signed === true),
    unsigned: methods.some((m) => !METHOD_INFO.get(m)?.signed),
    lime: methods.includes('LIME'),
  };
}

/** Form values; empty strings mean "the service's default". */
export interface Params {
  topK: string;
  camLayer: string;
  gradientSamples: string;
  gradientSteps: string;
  /** Gradient SHAP's α design; empty: the service's default (shap's i.i.d. α). */
  gradientAlphaSampling: AlphaSampling | '';
  limeSamples: string;
  /** LIME's num_features (the explanation's superpixels); empty: the service's default. */
  limeFeatures: string;
  kernelShapSamples: string;
  partitionShapEvals: string;
  force: boolean;
  /** Ask for deletion and insertion curves (evaluation.faithfulness) with the maps. */
  curves: boolean;
}

// The service's defaults, shown filled in where the references print them (LIME's samples, Partition
// SHAP's evaluations); Grad-CAM on the default layer.
export const DEFAULT_PARAMS: Params = {
  topK: '1',
  camLayer: '',
  gradientSamples: '',
  gradientSteps: '',
  gradientAlphaSampling: '',
  limeSamples: String(DEFAULTS.lime.numSamples),
  limeFeatures: '',
  kernelShapSamples: '',
  partitionShapEvals: String(DEFAULTS.partitionShap.maxEvals),
  force: false,
  curves: false,
};

/** Gradient SHAP's α designs as the forms offer them (the schema's AlphaSampling; '' = the default). */
export const ALPHA_SAMPLING_LABELS = {
  '': "shap's i.i.d. α (default)",
  STRATIFIED: 'stratified: one α per stratum',
  ANTITHETIC: 'antithetic pairs (α, 1 − α)',
  QUASI_RANDOM: 'quasi-random: shifted grid, folded',
} satisfies Record<Exclude<AlphaSampling, 'SHAP'> | '', string>;

const int = (s: string): number | undefined => {
  const t = s.trim();
  if (!t) return undefined;
  const n = Number(t);
  return Number.isInteger(n) ? n : NaN;
};

/** Checks the form; returns a message for the first bad field. */
export function validateParams(p: Params, methods: Method[]): string | null {
  const families = new Set(methods.map((m) => METHOD_INFO.get(m)!.family));
  const checks: [boolean, string, string, number, number][] = [
    [true, p.topK, 'Classes to explain', 1, 20],
    [families.has('gradient'), p.gradientSamples, 'Gradient samples', 1, 10000],
    [families.has('gradient'), p.gradientSteps, 'Integrated Gradients steps', 1, 10000],
    [families.has('lime'), p.limeSamples, 'LIME samples', 10, 100000],
    [families.has('lime'), p.limeFeatures, 'LIME features', 1, 1000],
    [families.has('kernelShap'), p.kernelShapSamples, 'Kernel SHAP samples', 10, 1000000],
    [families.has('partitionShap'), p.partitionShapEvals, 'Partition SHAP evaluations', 10, 1000000],
  ];
  for (const [applies, value, name, min, max] of checks) {
    if (!applies) continue;
    const n = int(value);
    if (n === undefined) continue;
    if (Number.isNaN(n) || n < min || n > max) return `${name} must be a whole number from ${min} to ${max}`;
  }
  return null;
}

/** The `parameters` block for one method: only its family's block, only the fields set. */
export function parametersFor(method: Method, p: Params): Record<string, unknown> | undefined {
  const family = METHOD_INFO.get(method)!.family;
  const clean = (o: Record<string, unknown>) => {
    const entries = Object.entries(o).filter(([, v]) => v !== undefined && v !== '');
    return entries.length ? { [family]: Object.fromEntries(entries) } : undefined;
  };
  switch (family) {
    case 'cam':
      return clean({ targetLayer: p.camLayer.trim() || undefined });
    case 'gradient':
      return clean({
        samples: int(p.gradientSamples),
        steps: method === 'INTEGRATED_GRADIENTS' ? int(p.gradientSteps) : undefined,
        alphaSampling: method === 'GRADIENT_SHAP' ? p.gradientAlphaSampling : undefined,
      });
    case 'lime':
      return clean({ numSamples: int(p.limeSamples), numFeatures: int(p.limeFeatures) });
    case 'kernelShap':
      return clean({ nsamples: int(p.kernelShapSamples) });
    case 'partitionShap':
      return clean({ maxEvals: int(p.partitionShapEvals) });
  }
}

export const targetFor = (p: Params) => ({ topK: int(p.topK) ?? 1 });
