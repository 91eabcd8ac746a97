// Serves stored images and artifacts with strong ETags and immutable caching. A key names its
// content, so a matching If-None-Match is answered without touching the store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mediaTypeOfKey, parseBlobKey, type BlobStore } from '../storage/blobs.js';
import { StorageUnavailableError } from '../errors.js';
import { FILES_PREFIX, SERVED_NAMESPACES } from './urls.js';

/** Decides whether the request may read the file: null, or the reason it may not (answered with 401). */
export type FileAccess = (storageKey: string, url: URL, req: IncomingMessage) => Promise<string | null>;

export async function serveFile(blobs: BlobStore, req: IncomingMessage, res: ServerResponse, access: FileAccess, isPrivate: boolean): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(url.pathname.slice(FILES_PREFIX.length));
  const key = parseBlobKey(path);
  if (!key || !key.ext || !SERVED_NAMESPACES.has(key.namespace) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  // Before anything else, the 304 included: the hash alone must not be enough.
  const denied = await access(path, url, req);
  if (denied) {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' }).end(denied);
    return;
  }
  const etag = `"${key.sha256}"`;
  const headers = {
    etag,
    // With API keys only the browser may keep a copy, not a shared cache that would serve it to anyone.
    'cache-control': `${isPrivate ? 'private' : 'public'}, max-age=31536000, immutable`,
    'content-type': mediaTypeOfKey(path),
    'x-content-type-options': 'nosniff',
  };
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    res.writeHead(304, headers).end();
    return;
  }
  let blob;
  try {
    blob = await blobs.open(path);
  } catch (e) {
    if (!(e instanceof StorageUnavailableError)) throw e;
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end('artifact store unavailable');
    return;
  }
  if (!blob) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': blob.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  blob.stream().on('error', () => res.destroy()).pipe(res);
}
