// A real service for API tests: real database (SQLite file or PostgreSQL), real HTTP server on an
// ephemeral port, real ONNX inference. Nothing is mocked.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { seedDemo } from '../../src/services/demo.js';
import { LocalJobQueue } from '../../src/jobs/local-queue.js';
import { sharedDir } from './shared.js';
import { tmpDir } from './tmp.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export { sharedDir };
export const SHARED_SKIP = `../shared is absent (${sharedDir}); this test needs the shared models and images`;
export const hasShared = () => existsSync(path.join(sharedDir, 'models', 'mobilenetv2-float.onnx'));

export interface GqlResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface TestService {
  app: App;
  server: RunningServer;
  url: string;
  dataDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, opts?: { key?: string | null }): Promise<GqlResponse<T>>;
  /** GraphQL multipart request: `files` maps variable paths (e.g. "file", "input.file") to file contents. */
  upload<T = any>(
    query: string,
    variables: Record<string, unknown>,
    /** `bytes` may be a Blob (e.g. fs.openAsBlob) so large files are streamed from disk. */
    files: Record<string, { bytes: Uint8Array | Blob; name: string; type?: string }>,
    opts?: { key?: string | null },
  ): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export async function startTestService(
  opts: { databaseUrl?: string; env?: Record<string, string>; seed?: boolean; defaultKey?: string; jobs?: boolean } = {},
): Promise<TestService> {
  const dataDir = tmpDir('xai-api-');
  const config: Config = loadConfig({
    XAI_DATA_DIR: dataDir,
    XAI_ORT_THREADS: '1',
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  const app = await createApp(config);
  if (opts.seed !== false) await seedDemo(app);
  if (opts.jobs) app.jobs = await LocalJobQueue.start(app);
  const server = await startServer(app, { host: '127.0.0.1', port: 0 });
  const endpoint = `${server.url}/graphql`;

  const headers = (key: string | null | undefined): Record<string, string> => {
    const k = key === undefined ? opts.defaultKey : key;
    return k ? { authorization: `Bearer ${k}` } : {};
  };
  const parse = async (res: Response): Promise<GqlResponse> => {
    const body = (await res.json()) as Omit<GqlResponse, 'status'>;
    return { status: res.status, ...body };
  };

  return {
    app,
    server,
    url: server.url,
    dataDir,
    async gql(query, variables, o = {}) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers(o.key) },
        body: JSON.stringify({ query, variables }),
      });
      return parse(res);
    },
    async upload(query, variables, files, o = {}) {
      const form = new FormData();
      const map: Record<string, string[]> = {};
      const vars = structuredClone(variables);
      Object.keys(files).forEach((p, i) => {
        map[String(i)] = [`variables.${p}`];
        setPath(vars, p, null);
      });
      form.append('operations', JSON.stringify({ query, variables: vars }));
      form.append('map', JSON.stringify(map));
      Object.entries(files).forEach(([, f], i) =>
        form.append(String(i), f.bytes instanceof Blob ? f.bytes : new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'application/octet-stream' }), f.name),
      );
      const res = await fetch(endpoint, { method: 'POST', headers: headers(o.key), body: form });
      return parse(res);
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}

function setPath(obj: Record<string, unknown>, p: string, value: unknown) {
  const parts = p.split('.');
  let o = obj as Record<string, unknown>;
  for (const k of parts.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}
