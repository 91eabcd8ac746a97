// The lab portal (client/portal, Vite + Preact) served at `/` and `/assets/*`.
//
// The built files live in client/portal/dist (gitignored). The service builds them on demand: the
// first request for the portal checks once per process whether dist is missing or older than the
// portal's sources and, if so, runs `vite build` in a child process (a few seconds, offline) into a
// temporary directory that then replaces dist. Startup itself never builds, so it stays fast; an
// installation without the sources (dist shipped alone) serves dist as it is. Without vite
// (`npm ci --omit=dev`) and without a dist, `/` answers 503 and says to run `npm run portal:build`.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PORTAL_ROOT = fileURLToPath(new URL('../../client/portal/', import.meta.url));
export const PORTAL_DIST = path.join(PORTAL_ROOT, 'dist');
const ASSETS_PREFIX = '/assets/';
const ASSET_NAME = /^[A-Za-z0-9_.-]+$/;

const MEDIA_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// The page talks only to this origin (HTTP and websocket); images come from /files on it.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export type PortalBuild = { ok: true; built: boolean; ms: number } | { ok: false; message: string };

/** Newest modification time among the portal's sources (0 when they are absent). */
function sourcesMtime(): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  // The portal bundles the SDK from client/sdk too.
  for (const p of ['src', 'index.html', 'vite.config.ts', 'public', '../sdk']) visit(path.join(PORTAL_ROOT, p));
  return newest;
}

function isCurrent(): boolean {
  const index = path.join(PORTAL_DIST, 'index.html');
  if (!existsSync(index)) return false;
  return statSync(index).mtimeMs >= sourcesMtime();
}

function viteBin(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('vite/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', 'vite.js');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

async function build(): Promise<PortalBuild> {
  const t0 = performance.now();
  if (isCurrent()) return { ok: true, built: false, ms: 0 };
  const bin = viteBin();
  if (!bin) {
    if (existsSync(path.join(PORTAL_DIST, 'index.html'))) return { ok: true, built: false, ms: 0 };
    return { ok: false, message: 'the portal is not built and vite is not installed; run `npm ci` then `npm run portal:build`' };
  }
  const tmp = `${PORTAL_DIST}.tmp-${process.pid}-${Date.now()}`;
  const log: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [bin, 'build', PORTAL_ROOT, '--outDir', tmp, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: PORTAL_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    child.stdout.on('data', (d) => log.push(String(d)));
    child.stderr.on('data', (d) => log.push(String(d)));
    child.on('error', (e) => {
      log.push(e.message);
      resolve(1);
    });
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return { ok: false, message: `building the portal failed (vite exited with ${code}): ${log.join('').slice(-2000)}` };
  }
  // Swap the fresh build in; another process may have swapped in its own meanwhile, which is as good.
  const old = `${PORTAL_DIST}.old-${process.pid}-${Date.now()}`;
  try {
    if (existsSync(PORTAL_DIST)) renameSync(PORTAL_DIST, old);
    renameSync(tmp, PORTAL_DIST);
  } catch (e) {
    if (!existsSync(path.join(PORTAL_DIST, 'index.html'))) return { ok: false, message: `installing the portal build failed: ${(e as Error).message}` };
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  return { ok: true, built: true, ms: performance.now() - t0 };
}

let pending: Promise<PortalBuild> | null = null;

/** Builds the portal if dist is missing or stale; checked once per process (a failed build is retried on the next call). */
export function ensurePortalBuilt(): Promise<PortalBuild> {
  pending ??= build().then((r) => {
    if (!r.ok) pending = null;
    else if (r.built) console.log(`portal built into ${path.relative(process.cwd(), PORTAL_DIST) || PORTAL_DIST} in ${Math.round(r.ms)} ms`);
    return r;
  });
  return pending;
}

/** True for the paths the portal answers: `/`, `/index.html` and `/assets/*`. */
export function isPortalPath(p: string): boolean {
  return p === '/' || p === '/index.html' || p.startsWith(ASSETS_PREFIX);
}

export async function servePortal(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
    return;
  }
  const state = await ensurePortalBuilt();
  if (!state.ok) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(`xai-lab portal unavailable: ${state.message}\n`);
    return;
  }
  const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  let file: string;
  let headers: Record<string, string>;
  if (p.startsWith(ASSETS_PREFIX)) {
    const name = p.slice(ASSETS_PREFIX.length);
    if (!ASSET_NAME.test(name)) return notFound(res);
    file = path.join(PORTAL_DIST, 'assets', name);
    // Vite puts a content hash in every asset name.
    headers = { 'cache-control': 'public, max-age=31536000, immutable' };
  } else {
    file = path.join(PORTAL_DIST, 'index.html');
    headers = { 'cache-control': 'no-cache', 'content-security-policy': CSP };
  }
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return notFound(res);
    size = st.size;
  } catch {
    return notFound(res);
  }
  res.writeHead(200, {
    ...headers,
    ...SECURITY_HEADERS,
    'content-type': MEDIA_TYPES[path.extname(file)] ?? (file.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream'),
    'content-length': String(size),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

function notFound(res: ServerResponse) {
  res.writeHead(404, { 'content-type': 'text/plain', ...SECURITY_HEADERS }).end('not found');
}
