// Per-request GraphQL context: the authenticated principal and the service container.
import type { App } from './app.js';
import type { Principal } from './auth.js';

export interface Context {
  app: App;
  principal: Principal;
}
