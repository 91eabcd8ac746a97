// Per-request GraphQL context: the authenticated principal and the service container.
import type { App } from './app.js';
import type { Principal } from './auth.js';

export interface Context {
  app: App;
  principal: Principal;
  /** Set by resolvers, sent as HTTP headers of the response (e.g. Retry-After); unused over websocket. */
  responseHeaders: Record<string, string>;
}
