// What explainers share inside one process (or worker thread): loaded onnxruntime sessions, what is
// built from the model files, and the decoded inputs with their predictions (so the cells of one
// image and model decode and predict once). Whoever creates a context owns its caches.
import { SessionCache } from '../session.ts';
import { InputCache } from './inputs.ts';
import { ModelStore } from './models.ts';

export interface EngineContext {
  sessions: SessionCache;
  models: ModelStore;
  inputs: InputCache;
}

export function engineContext(sessions: SessionCache = new SessionCache(), inputs: InputCache = new InputCache()): EngineContext {
  return { sessions, models: new ModelStore(sessions), inputs };
}
