// Request bodies within the configured limits. Multipart uploads are streamed to disk (see
// multipart.ts) with per-file limits from the key's role: an admin may send a model up to
// XAI_MAX_MODEL_BYTES, everyone else files up to XAI_MAX_IMAGE_BYTES; the resolver of each File
// argument then applies its own limit and answers UPLOAD_TOO_LARGE as a typed error. Every other body
// (JSON, GraphQL strings, forms) is limited to XAI_MAX_REQUEST_BYTES. This replaces yoga's single
// 25,000,000-byte limit, which answered before any of these could.
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { App } from '../app.js';
import type { Principal } from '../auth.js';
import { MultipartError, parseMultipart, removeStaleUploads, removeUploads, type MultipartLimits } from './multipart.js';

/** Room for the operations, the map, a labels file and the multipart framing next to one file at the limit. */
const REQUEST_OVERHEAD_BYTES = 1024 * 1024;
const MAX_FILES = 10;

export function uploadLimits(app: App, principal: Principal | undefined): MultipartLimits {
  const { maxImageBytes, maxModelBytes, maxRequestBytes } = app.config.limits;
  const maxFileBytes = principal?.role === 'ADMIN' ? Math.max(maxImageBytes, maxModelBytes) : maxImageBytes;
  return { maxFileBytes, maxRequestBytes: maxFileBytes + REQUEST_OVERHEAD_BYTES, maxFiles: MAX_FILES, maxFieldBytes: maxRequestBytes };
}

function refused(status: number, code: string, message: string): GraphQLError {
  // Connection: close, so a client that is still sending a refused body is cut off.
  return new GraphQLError(message, { extensions: { code, http: { status, headers: { connection: 'close' } } } });
}

const isMultipart = (request: Request) => request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');

export function requestBodyLimits(app: App, principalOf: (request: Request) => Principal | undefined): Plugin {
  const uploads = new WeakMap<Request, { path: string }[]>();
  const dir = join(app.config.dataDir, 'uploads');
  void removeStaleUploads(dir);

  return {
    onRequestParse({ request, serverContext, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null && !/^\d+$/.test(length)) throw refused(400, 'BAD_REQUEST', 'the Content-Length header is not a number');
      if (isMultipart(request)) {
        const limits = uploadLimits(app, principalOf(request));
        if (length !== null && Number(length) > limits.maxRequestBytes) {
          throw refused(413, 'UPLOAD_TOO_LARGE', `the request is ${length} bytes; the limit for this key is ${limits.maxRequestBytes}`);
        }
        setRequestParser(async (req) => {
          // The Node request itself is read when there is one: no web-stream copies of large uploads.
          const body = (serverContext as { req?: IncomingMessage } | undefined)?.req ?? Readable.fromWeb(req.body as never);
          try {
            const parsed = await parseMultipart(body, req.headers.get('content-type')!, dir, limits);
            uploads.set(request, parsed.files);
            return parsed.operations as never;
          } catch (e) {
            if (e instanceof MultipartError) throw refused(e.status, e.code, e.message);
            throw e;
          }
        });
        return;
      }
      const max = app.config.limits.maxRequestBytes;
      if (length !== null && Number(length) > max) throw refused(413, 'REQUEST_TOO_LARGE', `the request is ${length} bytes; the limit is ${max}`);
      if (!requestParser || !request.body) return;
      // Without a Content-Length (chunked), the body is counted as it arrives.
      setRequestParser((req) => requestParser(limitedRequest(req, max, fetchAPI)));
    },
    onResponse({ request }) {
      const files = uploads.get(request);
      if (files) return removeUploads(files).then(() => undefined);
    },
  };
}

function limitedRequest(req: Request, max: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  let seen = 0;
  // A native body stream needs the native TransformStream, yoga's ponyfill body the ponyfill's.
  const Transform = req.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
  const body = req.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(refused(413, 'REQUEST_TOO_LARGE', `the request is more than ${max} bytes, the limit`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: 'half' } as RequestInit);
}
