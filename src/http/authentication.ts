// Authentication of every GraphQL request over HTTP (GET, POST, SSE, multipart). It runs before the
// body is parsed, so an unauthenticated upload is refused without reading it. GraphiQL's static page is
// answered by yoga's own onRequest hook, which runs before this one and executes nothing; no request
// is exempt here.
import type { Plugin } from 'graphql-yoga';
import type { App } from '../app.js';
import type { Principal } from '../auth.js';
import { RateLimitedError } from '../errors.js';
import { authenticate, AuthenticationError } from '../services/keys.js';
import type { RequestRateLimiter } from '../services/quotas.js';
import { jsonError } from './json-error.js';

export interface Authentication {
  plugin: Plugin;
  /** The principal of an authenticated request; undefined when it never passed the plugin. */
  principalOf(request: Request): Principal | undefined;
}

/** `limiter` charges each authenticated request to its key (HTTP 429 with Retry-After when empty). */
export function httpAuthentication(app: App, limiter: RequestRateLimiter): Authentication {
  const principals = new WeakMap<Request, Principal>();
  return {
    principalOf: (request) => principals.get(request),
    plugin: {
      async onRequest({ request, endResponse, fetchAPI }) {
        try {
          const principal = await authenticate(app, request.headers.get('authorization'));
          limiter.take(principal);
          principals.set(request, principal);
        } catch (e) {
          if (e instanceof AuthenticationError) {
            const r = jsonError(401, 'UNAUTHENTICATED', e.message, { 'www-authenticate': 'Bearer' });
            return endResponse(new fetchAPI.Response(r.body, r));
          }
          if (e instanceof RateLimitedError) {
            const r = jsonError(429, e.code, e.message, { 'retry-after': String(e.retryAfterSeconds) }, { retryAfterSeconds: e.retryAfterSeconds });
            return endResponse(new fetchAPI.Response(r.body, r));
          }
          throw e;
        }
      },
    },
  };
}
