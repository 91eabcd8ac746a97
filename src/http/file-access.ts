// Who may read /files/...: anyone in open mode; with API keys, a request with a valid key or a link
// signed by this service that has not expired (so <img> tags load files without a header). A content
// hash alone opens nothing.
import type { IncomingMessage } from 'node:http';
import type { App } from '../app.js';
import { authenticate, AuthenticationError } from '../services/keys.js';
import { checkFileLink } from './urls.js';

/** Null when the request may read the file; else why not (answered with 401). */
export async function fileAccessDenied(app: App, storageKey: string, url: URL, req: IncomingMessage): Promise<string | null> {
  const links = app.config.files;
  if (!links.secret) return null;
  if (url.searchParams.has('sig')) {
    const v = checkFileLink(links, storageKey, url.searchParams);
    if (v === 'valid') return null;
    return v === 'expired' ? 'this link has expired: query the url field again for a fresh one' : 'this link is not signed by this service';
  }
  if (!req.headers.authorization) return 'a signed link (the url field of the API) or an API key is required';
  try {
    await authenticate(app, req.headers.authorization);
    return null;
  } catch (e) {
    if (e instanceof AuthenticationError) return e.message;
    throw e;
  }
}
