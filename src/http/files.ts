// Serves stored images and artifacts with strong ETags and immutable caching.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from '../storage/blobs.js';
import { FILES_PREFIX, SERVED_NAMESPACES } from './urls.js';

const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heif: 'image/heif',
  bin: 'application/octet-stream',
  json: 'application/json',
};

// <namespace>/<aa>/<sha256>.<ext>: nothing else is ever served from the store.
const KEY = /^([a-z]+)\/([0-9a-f]{2})\/([0-9a-f]{64})\.([a-z0-9]+)$/;

export async function serveFile(blobs: BlobStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(FILES_PREFIX.length));
  const m = KEY.exec(path);
  if (!m || !SERVED_NAMESPACES.has(m[1]) || m[2] !== m[3].slice(0, 2) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const size = await blobs.size(path);
  if (size === null) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const etag = `"${m[3]}"`;
  const headers = {
    etag,
    'cache-control': 'public, max-age=31536000, immutable',
    'content-type': MEDIA_TYPES[m[4]] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
  };
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  blobs.stream(path).on('error', () => res.destroy()).pipe(res);
}
