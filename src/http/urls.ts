// URLs of stored binaries. Keys contain the content hash, so the files never change. In open mode a
// URL is the key itself; with API keys a URL carries an expiry and an HMAC-SHA256 signature of key and
// expiry (XAI_FILES_SECRET, the same on every API node), so an <img> tag can load it without a header
// while a content hash alone opens nothing. The expiry is rounded up to a quarter of the TTL: the URL of
// a file stays the same for that long, and browsers reuse their cached copy.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FileLinkConfig } from '../config.js';

export const FILES_PREFIX = '/files/';
export const SERVED_NAMESPACES = new Set(['images', 'artifacts', 'reports']);

function signature(secret: Buffer, storageKey: string, exp: number): string {
  return createHmac('sha256', secret).update(`${storageKey}\n${exp}`).digest('base64url');
}

export function fileUrl(links: FileLinkConfig, storageKey: string, nowMs = Date.now()): string {
  if (!links.secret) return FILES_PREFIX + storageKey;
  const step = Math.max(60, Math.floor(links.ttlSeconds / 4));
  const exp = Math.ceil((nowMs / 1000 + links.ttlSeconds) / step) * step;
  return `${FILES_PREFIX}${storageKey}?exp=${exp}&sig=${signature(links.secret, storageKey, exp)}`;
}

/** Checks a link's `exp` and `sig`: valid, expired, or not signed by this service. */
export function checkFileLink(links: FileLinkConfig, storageKey: string, query: URLSearchParams, nowMs = Date.now()): 'valid' | 'expired' | 'invalid' {
  if (!links.secret) return 'valid';
  const exp = Number(query.get('exp'));
  const sig = Buffer.from(query.get('sig') ?? '');
  const expected = Buffer.from(signature(links.secret, storageKey, exp));
  if (!Number.isInteger(exp) || sig.length !== expected.length || !timingSafeEqual(sig, expected)) return 'invalid';
  return exp * 1000 < nowMs ? 'expired' : 'valid';
}

export const imageUrl = (links: FileLinkConfig, i: { storageKey: string }) => fileUrl(links, i.storageKey);
export const artifactUrl = (links: FileLinkConfig, a: { storageKey: string }) => fileUrl(links, a.storageKey);
