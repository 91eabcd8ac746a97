// The shape of a row of the SDK's method list (client/sdk/methods.ts, generated from the engine's
// registry by `npm run schema`); written here once so the generator emits only the rows.
import type { ExplanationMethod } from './graphql.ts';

export interface ExplanationMethodInfo {
  method: ExplanationMethod;
  displayName: string;
  family: 'CAM' | 'GRADIENT' | 'PERTURBATION';
  /** The ExplanationParametersInput field the method reads. */
  parameters: 'cam' | 'gradient' | 'lime' | 'kernelShap' | 'partitionShap';
  needsGradients: boolean;
  runsOnQuantized: boolean;
  /** Maps carry meaning in their sign (diverging colormap); else maps are ≥ 0. */
  signed: boolean;
}
