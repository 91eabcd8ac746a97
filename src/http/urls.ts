// Public URLs of stored binaries. Keys contain the content hash, so the URLs are immutable and
// unguessable (they act as capability links that <img> tags can load without an auth header).
export const FILES_PREFIX = '/files/';
export const SERVED_NAMESPACES = new Set(['images', 'artifacts']);

export function fileUrl(storageKey: string): string {
  return FILES_PREFIX + storageKey;
}

export const imageUrl = (i: { storageKey: string }) => fileUrl(i.storageKey);
export const artifactUrl = (a: { storageKey: string }) => fileUrl(a.storageKey);
