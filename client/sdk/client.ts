// The xai-lab client: typed queries and mutations over HTTP (fetch), uploads with the GraphQL multipart
// request spec, subscriptions over graphql-ws with reconnection. Browser-safe: no Node imports; in Node
// inject a WebSocket implementation (`import { WebSocket } from 'ws'`) — Node 20 has no global one.
import { print, type DocumentNode } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws/client';
import type { ResultOf, TadaDocumentNode, VariablesOf } from './graphql.ts';
import { unwrap, XaiError } from './errors.ts';
import {
  CancelExplanationMutation,
  DeleteExplanationMutation,
  ExplanationQuery,
  ExplanationsQuery,
  ExplanationUpdatedSubscription,
  ImageQuery,
  ImagesQuery,
  ModelByNameQuery,
  ModelsQuery,
  PredictMutation,
  RequestExplanationMutation,
  RetryExplanationMutation,
  UploadImageMutation,
  ViewerQuery,
  type ExplanationData,
  type ImageData,
} from './operations.ts';
import { CancelStudyMutation, CreateStudyMutation, RetryStudyMutation, StudiesQuery, StudyLiveQuery, StudyQuery, StudyUpdatedSubscription, type StudyLive } from './study-operations.ts';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface XaiClientOptions {
  /** The GraphQL endpoint (`http://host:4000/graphql`), or the service root (`/graphql` is appended).
   *  A relative URL (`/graphql`) is resolved against `location` in a browser. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` and as websocket `connectionParams.authorization`. */
  apiKey?: string;
  /** A fetch implementation; default: the global `fetch`. */
  fetch?: FetchLike;
  /** A WebSocket constructor; default: the global `WebSocket` (browsers, Node ≥ 22). In Node 20 pass `ws`. */
  WebSocket?: unknown;
  /** Extra HTTP headers for every request. */
  headers?: Record<string, string>;
  /** Websocket reconnection attempts before a watcher fails with CONNECTION_LOST (default 30). */
  retryAttempts?: number;
  /** Wait before reconnection attempt `n` (0-based); default: 250 ms doubling up to 5 s, with jitter. */
  retryWait?: (retries: number) => Promise<void>;
  /** Websocket ping interval in ms; a missing pong within `keepAliveMs / 2` drops the socket and
   *  reconnects (half-open connections). Default 10 000; 0 disables. */
  keepAliveMs?: number;
  /** Websocket state changes, e.g. for a "reconnecting…" badge. */
  onConnectionChange?: (state: 'connecting' | 'connected' | 'closed') => void;
}

export interface Sink<T> {
  next(data: T): void;
  error?(error: XaiError): void;
  complete?(): void;
}

export interface Watch<T> {
  /** Resolves with the terminal state (SUCCEEDED, FAILED or CANCELLED); rejects with an XaiError
   *  (unknown id, authentication, CONNECTION_LOST after the retries, ABORTED after `stop()`). */
  done: Promise<T>;
  /** Stops watching (the job or study keeps running). */
  stop(): void;
}
export type ExplanationWatch = Watch<ExplanationData>;
export type StudyWatch = Watch<StudyLive>;

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
export const isTerminal = (e: { status: string }) => TERMINAL_STATUSES.has(e.status);

/** Optional variables when the operation has none required. */
type VarsArg<V> = {} extends V ? [variables?: V] : [variables: V];

type Upload = Blob | ArrayBuffer | ArrayBufferView;

const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
  bmp: 'image/bmp',
};

function resolveEndpoint(url: string): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const u = new URL(url, base);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/graphql';
  return u;
}

const printed = new WeakMap<object, string>();
function source(doc: DocumentNode): string {
  let s = printed.get(doc);
  if (s === undefined) printed.set(doc, (s = print(doc)));
  return s;
}

interface GqlError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number; http?: { status?: number } };
}

function fromGraphQLErrors(errors: GqlError[], status: number): XaiError {
  const first = errors[0];
  const code = first.extensions?.code ?? (status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : 'GRAPHQL_ERROR');
  const message = errors.map((e) => e.message).join('; ');
  return new XaiError(code, message, { status, retryAfterSeconds: first.extensions?.retryAfterSeconds });
}

function isCloseEvent(e: unknown): e is { code: number; reason: string } {
  return typeof e === 'object' && e !== null && 'code' in e && 'reason' in e;
}

function toXaiError(e: unknown): XaiError {
  if (e instanceof XaiError) return e;
  if (Array.isArray(e)) return fromGraphQLErrors(e as GqlError[], 200);
  if (isCloseEvent(e)) {
    if (e.code === 4403 || e.code === 4401) return new XaiError('UNAUTHENTICATED', `websocket refused: ${e.reason || e.code}`);
    return new XaiError('CONNECTION_LOST', `websocket closed (${e.code}${e.reason ? ` ${e.reason}` : ''}) and reconnecting failed`);
  }
  if (e instanceof Error) return new XaiError('NETWORK_ERROR', e.message, { cause: e });
  return new XaiError('NETWORK_ERROR', String((e as { message?: unknown })?.message ?? e));
}

const defaultRetryWait = (retries: number) =>
  new Promise<void>((r) => setTimeout(r, Math.min(5000, 250 * 2 ** retries) * (0.75 + Math.random() * 0.5)));

export type XaiClient = ReturnType<typeof createXaiClient>;

export function createXaiClient(options: XaiClientOptions) {
  const endpoint = resolveEndpoint(options.url);
  const wsEndpoint = new URL(endpoint);
  wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const authHeaders: Record<string, string> = {
    ...options.headers,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };

  async function post(body: BodyInit, contentType?: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await doFetch(endpoint.href, {
        method: 'POST',
        headers: { accept: 'application/graphql-response+json, application/json', ...(contentType ? { 'content-type': contentType } : {}), ...authHeaders },
        body,
      });
    } catch (e) {
      throw new XaiError('NETWORK_ERROR', `cannot reach ${endpoint.href}: ${(e as Error).message}${(e as Error).cause ? ` (${((e as Error).cause as Error).message ?? ''})` : ''}`, { cause: e });
    }
    const text = await res.text();
    let json: { data?: Record<string, unknown> | null; errors?: GqlError[] };
    try {
      json = JSON.parse(text);
    } catch {
      throw new XaiError(res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_ERROR', `HTTP ${res.status} from ${endpoint.href}: ${text.slice(0, 200)}`, { status: res.status });
    }
    if (json.errors?.length) throw fromGraphQLErrors(json.errors, res.status);
    if (!json.data) throw new XaiError('HTTP_ERROR', `HTTP ${res.status} without data`, { status: res.status });
    return json.data;
  }

  /** Runs a query or mutation over HTTP; resolves with the typed `data`, throws XaiError on `errors`. */
  async function request<R, V>(doc: TadaDocumentNode<R, V>, ...[variables]: VarsArg<V>): Promise<R> {
    return (await post(JSON.stringify({ query: source(doc), variables: variables ?? {} }), 'application/json')) as R;
  }

  // ---- websocket ---------------------------------------------------------------------------
  let ws: WsClient | null = null;
  function socket(): WsClient {
    if (ws) return ws;
    const keepAlive = options.keepAliveMs ?? 10_000;
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    const client: WsClient = createWsClient({
      url: wsEndpoint.href,
      webSocketImpl: options.WebSocket,
      connectionParams: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      lazy: true,
      keepAlive,
      retryAttempts: options.retryAttempts ?? 30,
      retryWait: options.retryWait ?? defaultRetryWait,
      // Retry every connection problem (refused connections while a service restarts included),
      // except a refused key: graphql-ws itself treats protocol violations as fatal.
      shouldRetry: (e) => !(isCloseEvent(e) && (e.code === 4403 || e.code === 4401)),
      on: {
        connecting: () => options.onConnectionChange?.('connecting'),
        connected: () => options.onConnectionChange?.('connected'),
        closed: () => {
          clearTimeout(pongTimer);
          options.onConnectionChange?.('closed');
        },
        ping: (received) => {
          if (received || !keepAlive) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => client.terminate(), Math.max(1000, keepAlive / 2));
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
    return (ws = client);
  }

  /** Subscribes over graphql-ws; returns the unsubscribe function. Reconnects on dropped sockets. */
  function subscribe<R, V>(doc: TadaDocumentNode<R, V>, variables: V, sink: Sink<R>): () => void {
    let closed = false;
    const stop = socket().subscribe<R>(
      { query: source(doc), variables: variables as Record<string, unknown> },
      {
        next: (r) => {
          if (closed) return;
          if (r.errors?.length) {
            closed = true;
            stop();
            sink.error?.(fromGraphQLErrors(r.errors as GqlError[], 200));
          } else if (r.data) sink.next(r.data);
        },
        error: (e) => {
          if (closed) return;
          closed = true;
          sink.error?.(toXaiError(e));
        },
        complete: () => {
          if (closed) return;
          closed = true;
          sink.complete?.();
        },
      },
    );
    return () => {
      closed = true;
      stop();
    };
  }

  /**
   * Follows one thing until it ends (`terminal`). `onUpdate` gets the current state first, then every
   * change; a dropped websocket is reconnected and resubscribed, and the server answers a new
   * subscription with the current state, so the caller sees no gap (repeated identical states are not
   * delivered). If the server ends the stream without a terminal state, `current()` asks over HTTP and
   * it subscribes again.
   */
  function follow<T>(
    what: string,
    open: (sink: Sink<T>) => () => void,
    current: () => Promise<T | null>,
    terminal: (t: T) => boolean,
    onUpdate?: (t: T) => void,
  ): Watch<T> {
    let last = '';
    let unsubscribe: (() => void) | null = null;
    let settled = false;
    let resolve!: (t: T) => void;
    let reject!: (e: XaiError) => void;
    const done = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {}); // callers that never await `done` must not crash on an unhandled rejection

    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      fn();
    };
    const deliver = (t: T) => {
      const key = JSON.stringify(t);
      if (key !== last) {
        last = key;
        onUpdate?.(t);
      }
      if (terminal(t)) finish(() => resolve(t));
    };
    const start = (resubscriptions: number) => {
      unsubscribe = open({
        next: deliver,
        error: (err) => finish(() => reject(err)),
        complete: () => {
          if (settled) return;
          current().then(
            (t) => {
              if (settled) return;
              if (!t) return finish(() => reject(new XaiError('NOT_FOUND', `${what} does not exist`)));
              deliver(t);
              if (!settled) {
                if (resubscriptions >= 10) finish(() => reject(new XaiError('CONNECTION_LOST', `the subscription for ${what} keeps ending`)));
                else start(resubscriptions + 1);
              }
            },
            (err) => finish(() => reject(toXaiError(err))),
          );
        },
      });
    };
    start(0);
    return { done, stop: () => finish(() => reject(new XaiError('ABORTED', 'stopped watching'))) };
  }

  /** Follows one explanation until it ends (SUCCEEDED, FAILED or CANCELLED); see `follow`. */
  function watchExplanation(id: string, onUpdate?: (e: ExplanationData) => void): ExplanationWatch {
    return follow(
      `explanation ${id}`,
      (sink) => subscribe(ExplanationUpdatedSubscription, { id }, { ...sink, next: (d) => sink.next(d.explanationUpdated) }),
      () => explanation(id),
      isTerminal,
      onUpdate,
    );
  }

  /** Follows one study until every cell has finished: its aggregated progress and each cell's state. */
  function watchStudy(id: string, onUpdate?: (s: StudyLive) => void): StudyWatch {
    return follow(
      `study ${id}`,
      (sink) => subscribe(StudyUpdatedSubscription, { id }, { ...sink, next: (d) => sink.next(d.studyUpdated) }),
      async () => (await request(StudyLiveQuery, { id })).study,
      (s) => TERMINAL_STATUSES.has(s.state),
      onUpdate,
    );
  }

  // ---- operations --------------------------------------------------------------------------
  async function uploadImage(file: Upload, name: string): Promise<ImageData> {
    const ext = name.split('.').pop()?.toLowerCase() ?? '';
    const type = file instanceof Blob && file.type ? file.type : (MEDIA_TYPES[ext] ?? 'application/octet-stream');
    const blob = file instanceof Blob ? file : new Blob([file as BlobPart], { type });
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: source(UploadImageMutation), variables: { file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', blob, name);
    const data = (await post(form)) as ResultOf<typeof UploadImageMutation>;
    return unwrap(data.uploadImage);
  }

  async function explanation(id: string) {
    return (await request(ExplanationQuery, { id })).explanation;
  }

  /** An absolute URL for an `Image.url` / `Artifact.url` (they are paths on the service). */
  function fileUrl(url: string): string {
    return new URL(url, endpoint).href;
  }

  return {
    /** The resolved GraphQL endpoint. */
    endpoint: endpoint.href,
    query: request,
    mutate: request,
    subscribe,
    watchExplanation,
    uploadImage,
    fileUrl,
    /** Downloads a stored file (image or artifact). */
    async download(url: string): Promise<Uint8Array> {
      let res: Response;
      try {
        res = await doFetch(fileUrl(url), { headers: authHeaders });
      } catch (e) {
        throw new XaiError('NETWORK_ERROR', `cannot download ${fileUrl(url)}: ${(e as Error).message}`, { cause: e });
      }
      if (!res.ok) throw new XaiError(res.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR', `HTTP ${res.status} for ${fileUrl(url)}`, { status: res.status });
      return new Uint8Array(await res.arrayBuffer());
    },
    viewer: async () => (await request(ViewerQuery)).viewer,
    images: async (args: VariablesOf<typeof ImagesQuery> = {}) => (await request(ImagesQuery, args)).images,
    image: async (id: string) => (await request(ImageQuery, { id })).image,
    models: async (args: VariablesOf<typeof ModelsQuery> = {}) => (await request(ModelsQuery, args)).models,
    modelByName: async (name: string, version?: string) => (await request(ModelByNameQuery, { name, version })).modelByName,
    predict: async (input: VariablesOf<typeof PredictMutation>['input']) => unwrap((await request(PredictMutation, { input })).predict),
    requestExplanation: async (input: VariablesOf<typeof RequestExplanationMutation>['input']) =>
      unwrap((await request(RequestExplanationMutation, { input })).requestExplanation),
    cancelExplanation: async (id: string) => unwrap((await request(CancelExplanationMutation, { id })).cancelExplanation),
    retryExplanation: async (id: string) => unwrap((await request(RetryExplanationMutation, { id })).retryExplanation),
    /** Only the explanation's creator or an admin may (FORBIDDEN otherwise). */
    deleteExplanation: async (id: string) => unwrap((await request(DeleteExplanationMutation, { id })).deleteExplanation),
    explanation,
    explanations: async (args: VariablesOf<typeof ExplanationsQuery> = {}) => (await request(ExplanationsQuery, args)).explanations,
    /** Creates a study and queues its cells (identical explanations are reused). */
    createStudy: async (input: VariablesOf<typeof CreateStudyMutation>['input']) => unwrap((await request(CreateStudyMutation, { input })).createStudy),
    study: async (id: string) => (await request(StudyQuery, { id })).study,
    studies: async (args: VariablesOf<typeof StudiesQuery> = {}) => (await request(StudiesQuery, args)).studies,
    /** Cancel/retry: the study's creator or an admin only (FORBIDDEN otherwise). */
    cancelStudy: async (id: string) => unwrap((await request(CancelStudyMutation, { id })).cancelStudy),
    retryStudy: async (id: string) => unwrap((await request(RetryStudyMutation, { id })).retryStudy),
    watchStudy,
    /** Closes the websocket (pending watchers end with an error). */
    async dispose(): Promise<void> {
      const c = ws;
      ws = null;
      await c?.dispose();
    },
  };
}
