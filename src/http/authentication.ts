// Authentication of every GraphQL request over HTTP (GET, POST, SSE, multipart). It runs before the
// body is parsed, so an unauthenticated upload is refused without reading it. GraphiQL's static page is
// answered by yoga's own onRequest hook, which runs before this one and executes nothing; no request
// is exempt here.
import type { Plugin } from 'graphql-yoga';
import type { App } from '../app.js';
import type { Principal } from '../auth.js';
import { authenticate, AuthenticationError } from '../services/keys.js';
import { jsonError } from './json-error.js';

export interface Authentication {
  plugin: Plugin;
  /** The principal of an authenticated request; undefined when it never passed the plugin. */
  principalOf(request: Request): Principal | undefined;
}

export function httpAuthentication(app: App): Authentication {
  const principals = new WeakMap<Request, Principal>();
  return {
    principalOf: (request) => principals.get(request),
    plugin: {
      async onRequest({ request, endResponse, fetchAPI }) {
        try {
          principals.set(request, await authenticate(app, request.headers.get('authorization')));
        } catch (e) {
          if (!(e instanceof AuthenticationError)) throw e;
          const r = jsonError(401, 'UNAUTHENTICATED', e.message);
          endResponse(new fetchAPI.Response(r.body, { status: r.status, headers: { ...r.headers, 'www-authenticate': 'Bearer' } }));
        }
      },
    },
  };
}
