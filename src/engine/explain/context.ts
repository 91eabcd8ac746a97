// What explainers share inside one process (or worker thread): loaded onnxruntime sessions and
// what is built from the model files. Whoever creates a context owns its caches.
import { SessionCache } from '../session.ts';
import { ModelStore } from './models.ts';

export interface EngineContext {
  sessions: SessionCache;
  models: ModelStore;
}

export function engineContext(sessions: SessionCache = new SessionCache()): EngineContext {
  return { sessions, models: new ModelStore(sessions) };
}
