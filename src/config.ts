// Service configuration from environment variables, validated once at start.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

export type AuthMode = 'open' | 'required';

export interface Limits {
  maxImageBytes: number;
  maxModelBytes: number;
  /** Every body that is not an upload (JSON, GraphQL strings), and each multipart field. */
  maxRequestBytes: number;
  maxImagePixels: number;
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxTopK: number;
  /** Queries and mutations still executing after this are stopped and answered with REQUEST_TIMEOUT. */
  requestTimeoutMs: number;
  /** registerModel's deadline instead: its work grows with the model file (up to maxModelBytes), not with the query. */
  modelRegistrationTimeoutMs: number;
}

export interface S3Options {
  bucket: string;
  /** Key prefix inside the bucket, '' or ending in '/'. */
  prefix: string;
  /** For S3-compatible servers; AWS when unset. */
  endpoint: string | null;
  region: string;
  forcePathStyle: boolean;
  /** This node's cache of remote blobs. */
  cacheDir: string;
  cacheBytes: number;
  /** From AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; otherwise the SDK's chain (profiles, SSO, instance roles). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
}

/** Where images, models and artifacts live: a directory (default) or an S3-compatible bucket. */
export type ArtifactStoreConfig = { kind: 'directory'; dir: string } | ({ kind: 's3' } & S3Options);

export interface FileLinkConfig {
  secret: Buffer | null;
  ttlSeconds: number;
  /** No XAI_FILES_SECRET was set: a random one serves this process only (links do not work on other nodes). */
  secretGenerated: boolean;
}

export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  dataDir: string;
  artifacts: ArtifactStoreConfig;
  /** Only ONNX files inside this directory may be registered by path. */
  modelsDir: string;
  auth: AuthMode;
  /** When set, an admin key with this secret is ensured at start (bootstrap for headless installs). */
  adminKey: string | null;
  graphiql: boolean;
  /** Signed /files links; `secret` is null in open mode, where links need no signature. */
  files: FileLinkConfig;
  seedDemo: boolean;
  limits: Limits;
  /** One onnxruntime intra-op thread pool size for every session (0 = runtime default). */
  intraOpThreads: number;
  tensorCacheBytes: number;
  jobs: { concurrency: number; maxAttempts: number };
  /** How many cells of one study may wait in the job queue at a time (the rest are queued as those
   *  finish), so a large study neither floods the queue nor starves other users' requests. */
  studyWindow: number;
  /** Per API key (not in open mode); 0 = unlimited. */
  quotas: { queuedJobs: number; requestsPerMinute: number };
  /** With Redis, jobs go through BullMQ to `npm run worker` processes and events cross nodes. */
  redisUrl: string | null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be a non-negative number, got "${raw}"`);
  return Math.floor(n);
}

const MB = 1024 * 1024;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const dataDir = resolve(env.XAI_DATA_DIR || 'data');
  const auth = (env.XAI_AUTH || (isLoopback(host) ? 'open' : 'required')) as AuthMode;
  if (auth !== 'open' && auth !== 'required') throw new ConfigError(`XAI_AUTH must be "open" or "required", got "${auth}"`);
  // An ONNX file is trusted input for the runtime, so an open service must not be reachable from the network.
  if (auth === 'open' && !isLoopback(host)) {
    throw new ConfigError(`XAI_AUTH=open is only allowed when bound to localhost (HOST=${host}); use API keys instead`);
  }
  return {
    host,
    port: int(env, 'PORT', 4000),
    databaseUrl: env.DATABASE_URL || `file:${resolve(dataDir, 'xai-lab.db')}`,
    dataDir,
    artifacts: artifactStore(env, dataDir),
    modelsDir: resolve(env.XAI_MODELS_DIR || resolve(dataDir, 'import')),
    auth,
    adminKey: env.XAI_ADMIN_KEY || null,
    graphiql: env.NODE_ENV !== 'production',
    files: fileLinks(env, auth),
    seedDemo: env.XAI_SEED_DEMO !== '0',
    intraOpThreads: int(env, 'XAI_ORT_THREADS', 0),
    tensorCacheBytes: int(env, 'XAI_TENSOR_CACHE_MB', 256) * MB,
    redisUrl: env.REDIS_URL || null,
    quotas: {
      queuedJobs: int(env, 'XAI_QUOTA_QUEUED_JOBS', 100),
      requestsPerMinute: int(env, 'XAI_QUOTA_REQUESTS_PER_MINUTE', 600),
    },
    jobs: {
      // One running job per two cores: each job's inference already uses several cores.
      concurrency: Math.max(1, int(env, 'XAI_JOB_CONCURRENCY', Math.floor(availableParallelism() / 2))),
      maxAttempts: Math.max(1, int(env, 'XAI_JOB_MAX_ATTEMPTS', 3)),
    },
    studyWindow: Math.max(1, int(env, 'XAI_STUDY_WINDOW', 4)),
    limits: {
      maxImageBytes: int(env, 'XAI_MAX_IMAGE_BYTES', 25 * MB),
      maxModelBytes: int(env, 'XAI_MAX_MODEL_BYTES', 2048 * MB),
      maxRequestBytes: int(env, 'XAI_MAX_REQUEST_BYTES', MB),
      // Above PIL's default bomb threshold (89 Mpx) is rejected before decoding.
      maxImagePixels: int(env, 'XAI_MAX_IMAGE_PIXELS', 90_000_000),
      maxDepth: int(env, 'XAI_MAX_QUERY_DEPTH', 10),
      maxCost: int(env, 'XAI_MAX_QUERY_COST', 20000),
      maxAliases: int(env, 'XAI_MAX_ALIASES', 15),
      maxTokens: int(env, 'XAI_MAX_TOKENS', 2000),
      maxTopK: 100,
      requestTimeoutMs: Math.max(1, int(env, 'XAI_REQUEST_TIMEOUT_MS', 30_000)),
      modelRegistrationTimeoutMs: Math.max(1, int(env, 'XAI_MODEL_REGISTRATION_TIMEOUT_MS', 600_000)),
    },
  };
}

/** With API keys, /files links carry an HMAC signature; the secret must be the same on every API node. */
function fileLinks(env: NodeJS.ProcessEnv, auth: AuthMode): FileLinkConfig {
  const ttlSeconds = Math.max(60, int(env, 'XAI_FILES_URL_TTL_SECONDS', 3600));
  if (auth === 'open') return { secret: null, ttlSeconds, secretGenerated: false };
  const configured = env.XAI_FILES_SECRET;
  if (configured) {
    if (configured.length < 32) throw new ConfigError('XAI_FILES_SECRET must have at least 32 characters (e.g. openssl rand -hex 32)');
    return { secret: Buffer.from(configured, 'utf8'), ttlSeconds, secretGenerated: false };
  }
  if (env.REDIS_URL) throw new ConfigError('XAI_FILES_SECRET must be set, and the same on every API node, when several nodes serve (REDIS_URL is set)');
  return { secret: randomBytes(32), ttlSeconds, secretGenerated: true };
}

/** XAI_ARTIFACT_STORE: a directory path, or s3://bucket/prefix (credentials from the standard AWS_* chain). */
function artifactStore(env: NodeJS.ProcessEnv, dataDir: string): ArtifactStoreConfig {
  const raw = env.XAI_ARTIFACT_STORE || resolve(dataDir, 'blobs');
  if (!raw.startsWith('s3://')) return { kind: 'directory', dir: resolve(raw) };
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  if (!m) throw new ConfigError(`XAI_ARTIFACT_STORE must look like s3://bucket or s3://bucket/prefix, got "${raw}"`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  const endpoint = env.XAI_S3_ENDPOINT || null;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new ConfigError(`XAI_S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  const pathStyle = env.XAI_S3_FORCE_PATH_STYLE;
  return {
    kind: 's3',
    bucket: m[1],
    prefix: prefix ? `${prefix}/` : '',
    endpoint,
    region: env.XAI_S3_REGION || env.AWS_REGION || 'us-east-1',
    // S3-compatible servers usually address buckets by path, AWS by host name.
    forcePathStyle: pathStyle ? pathStyle === '1' || pathStyle === 'true' : endpoint !== null,
    cacheDir: resolve(dataDir, 'cache'),
    cacheBytes: int(env, 'XAI_ARTIFACT_CACHE_MB', 2048) * MB,
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
        : null,
  };
}
