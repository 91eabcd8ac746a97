// torchvision exports (random weights, the exact graphs users export), made by
// ../shared/tools/export-torchvision-models.sh into a cache outside git (.ci/run does it).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const torchvisionDir = process.env.XAI_TORCHVISION_DIR || path.join(os.homedir(), '.cache', 'xai-models');
export const TORCHVISION_MODELS = ['resnet50', 'vgg16', 'inception_v3'] as const;
export type TorchvisionModel = (typeof TORCHVISION_MODELS)[number];
/** Each export's input size (square). */
export const TORCHVISION_INPUT_SIZE: Record<TorchvisionModel, number> = { resnet50: 224, vgg16: 224, inception_v3: 299 };

export function torchvisionModel(name: TorchvisionModel): string | null {
  const p = path.join(torchvisionDir, `${name}-random.onnx`);
  return existsSync(p) ? p : null;
}

export const TORCHVISION_SKIP = `torchvision exports are absent from ${torchvisionDir}: run ../shared/tools/export-torchvision-models.sh ${torchvisionDir} (CI does)`;
