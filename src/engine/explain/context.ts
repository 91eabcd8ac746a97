// What explainers share inside one process (or worker thread): loaded onnxruntime sessions, what is
// built from the model files, the decoded inputs with their predictions (so the cells of one
// image and model decode and predict once), and the faithfulness fill images of those crops.
// Whoever creates a context owns its caches.
import type { FillCache } from '../metrics/faithfulness.ts';
import { SessionCache } from '../session.ts';
import { TensorCache } from '../tensor-cache.ts';
import { InputCache } from './inputs.ts';
import { ModelStore } from './models.ts';

export interface EngineContext {
  sessions: SessionCache;
  models: ModelStore;
  inputs: InputCache;
  fills: FillCache;
}

export function engineContext(sessions: SessionCache = new SessionCache(), inputs: InputCache = new InputCache()): EngineContext {
  // 32 MB: about fifty 224×224 fills (600 kB each).
  return { sessions, models: new ModelStore(sessions), inputs, fills: new TensorCache(32 * 1024 * 1024) };
}
