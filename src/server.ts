// One HTTP port for everything: GraphQL over HTTP (yoga, incl. multipart uploads and SSE),
// GraphQL over websocket (graphql-ws), stored files, and a health check.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type execute, type subscribe } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { App } from './app.js';
import type { Principal } from './auth.js';
import type { Context } from './context.js';
import { serveFile } from './http/files.js';
import { fileAccessDenied } from './http/file-access.js';
import { FILES_PREFIX } from './http/urls.js';
import { isPortalPath, servePortal } from './http/portal.js';
import { schema } from './schema/index.js';
import { authenticate, AuthenticationError } from './services/keys.js';
import { httpAuthentication } from './http/authentication.js';
import { requestBodyLimits } from './http/request-body.js';
import { executionLimits } from './http/execution-limits.js';
import { appErrorMasking } from './http/app-errors.js';
import { responseHeaders } from './http/response-headers.js';
import { RateLimitedError } from './errors.js';
import { RequestRateLimiter } from './services/quotas.js';

export const GRAPHQL_PATH = '/graphql';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function createYogaFor(app: App, limiter: RequestRateLimiter) {
  const { limits } = app.config;
  const auth = httpAuthentication(app, limiter);
  const headers = responseHeaders();

  return createYoga<{ principal?: Principal }, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: app.config.graphiql ? { title: 'xai-lab', subscriptionsProtocol: 'WS' } : false,
    landingPage: false,
    logging: 'warn',
    maskedErrors: appErrorMasking,
    // Bodies and uploads are limited by requestBodyLimits, which streams uploads to disk.
    multipart: false,
    maxRequestBodySize: false,
    plugins: [
      auth.plugin,
      headers.plugin,
      requestBodyLimits(app, auth.principalOf),
      EnvelopArmorPlugin({
        maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
        // The cost limit is executionLimits', which counts lists with their real (variable) sizes.
        costLimit: { enabled: false },
        maxAliases: { n: limits.maxAliases },
        maxTokens: { n: limits.maxTokens },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: !app.config.graphiql },
      }),
      executionLimits({
        maxCost: limits.maxCost,
        requestTimeoutMs: limits.requestTimeoutMs,
        rootFieldTimeoutMs: { registerModel: limits.modelRegistrationTimeoutMs },
      }),
    ],
    context: ({ request, principal }) => {
      // Fails closed: an execution path that skipped authentication gets no context at all.
      const p = principal ?? auth.principalOf(request);
      if (!p) throw new Error('unauthenticated execution path');
      return { app, principal: p, responseHeaders: headers.forRequest(request) };
    },
  });
}

export async function startServer(app: App, opts: { host?: string; port?: number } = {}): Promise<RunningServer> {
  // Requests per minute per key, over HTTP and websocket alike.
  const limiter = new RequestRateLimiter(app.config.quotas.requestsPerMinute);
  const yoga = createYogaFor(app, limiter);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith(FILES_PREFIX)) {
      serveFile(app.blobs, req, res, (key, url, r) => fileAccessDenied(app, key, url, r), app.config.files.secret !== null).catch(() => res.destroy());
      return;
    }
    if (isPortalPath(path)) {
      servePortal(req, res).catch(() => res.destroy());
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, database: app.db.provider }));
      return;
    }
    yoga(req, res);
  };

  const server = createServer(handler);
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const ws = useServer<Record<string, unknown>, { principal: Principal }>(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const raw = (params.authorization ?? params.Authorization ?? (params.apiKey ? `Bearer ${params.apiKey}` : undefined)) as string | undefined;
        try {
          ctx.extra.principal = await authenticate(app, raw);
          return true;
        } catch (e) {
          if (e instanceof AuthenticationError) return false;
          throw e;
        }
      },
      // A throw in any of these hooks closes the whole socket with 4500, ending every other
      // subscription on it: each failure is answered as this operation's own error instead.
      onSubscribe: async (ctx, _id, payload) => {
        try {
          limiter.take(ctx.extra.principal!); // set by onConnect, which accepted the socket
          const enveloped = yoga.getEnveloped({ principal: ctx.extra.principal, request: undefined as never, params: payload });
          const document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length) return errors;
          return {
            schema: enveloped.schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await enveloped.contextFactory(),
            rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
          };
        } catch (e) {
          return [asGraphQLError(e)];
        }
      },
      execute: async (args) => {
        try {
          return await (args.rootValue as { execute: typeof execute }).execute(args);
        } catch (e) {
          return { errors: [asGraphQLError(e)] };
        }
      },
      subscribe: async (args) => {
        try {
          return await (args.rootValue as { subscribe: typeof subscribe }).subscribe(args);
        } catch (e) {
          return { errors: [asGraphQLError(e)] };
        }
      },
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? app.config.port, opts.host ?? app.config.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await ws.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Armor's rules and the parser throw GraphQLErrors; anything else is unexpected and not shown. */
function asGraphQLError(e: unknown): GraphQLError {
  if (e instanceof GraphQLError) return e;
  if (e instanceof RateLimitedError) return new GraphQLError(e.message, { extensions: { code: e.code, retryAfterSeconds: e.retryAfterSeconds } });
  console.error('websocket operation failed:', e);
  return new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
