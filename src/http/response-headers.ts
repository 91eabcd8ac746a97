// Headers that resolvers want on the HTTP response (Retry-After of a RateLimitedError union member):
// each request's context gets an object that is copied onto the response when it is sent.
import type { Plugin } from 'graphql-yoga';

export function responseHeaders() {
  const byRequest = new WeakMap<Request, Record<string, string>>();
  const plugin: Plugin = {
    onResponse({ request, response }) {
      for (const [k, v] of Object.entries(byRequest.get(request) ?? {})) response.headers.set(k, v);
    },
  };
  /** The headers object for a request's context (a fresh one, unused, over websocket). */
  const forRequest = (request: Request | undefined): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (request) byRequest.set(request, headers);
    return headers;
  };
  return { plugin, forRequest };
}
