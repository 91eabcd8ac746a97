// ../shared/reference (the Python libraries' outputs on the shared photos) and MobileNetV2, for the
// tests that compare with them: the paths and the skip message when either is absent.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from './service.js';

export const refDir = path.join(sharedDir, 'reference');
export const mbv2Path = path.join(sharedDir, 'models', 'mobilenetv2-float.onnx');
export const referenceSkip: string | false = !existsSync(path.join(refDir, 'index.json'))
  ? `needs ${refDir} (the Python reference outputs), which is absent`
  : !existsSync(mbv2Path)
    ? `needs ${mbv2Path}, which is absent`
    : false;
