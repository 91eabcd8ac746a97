// A model's candidate target layers (4-D activations) for CAM methods, computed once per ONNX file.
import type { App } from '../app.js';
import { defaultTargetLayer, listCandidateLayers } from '../engine/grad/index.js';
import { decodeModel } from '../engine/onnx/proto.js';
import type { Model } from '../generated/sqlite/client.js';

export interface Layer {
  name: string;
  opType: string;
  nodeName: string;
  shape: (number | string | null)[];
  isDefault: boolean;
}

// Keyed by the ONNX file's hash: the layers are a function of the content, so one process-wide cache is safe.
const cache = new Map<string, Promise<Layer[]>>();

export function modelLayers(app: App, model: Model): Promise<Layer[]> {
  let p = cache.get(model.sha256);
  if (!p) {
    p = app.blobs.read(model.fileKey).then((bytes) => {
      const proto = decodeModel(bytes);
      const opts = { output: model.outputName };
      const fallback = defaultTargetLayer(proto, opts);
      return listCandidateLayers(proto, opts).map((l) => ({ ...l, isDefault: l.name === fallback }));
    });
    cache.set(model.sha256, p);
    p.catch(() => cache.delete(model.sha256));
  }
  return p;
}
