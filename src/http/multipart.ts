// GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec), streamed:
// every file goes straight to a temporary file on disk, hashed on the way, so an upload of any size
// costs a few buffers of memory. Limits are enforced while reading: a file over the per-file limit is
// cut off and marked (its resolver answers UPLOAD_TOO_LARGE), a body over the request limit is refused
// with HTTP 413, and a map that does not point at `null` placeholders is refused with HTTP 400.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import { hashingTap } from '../storage/blobs.js';
import { UploadedFile } from '../uploads.js';

export interface MultipartLimits {
  /** Bytes kept per file; beyond this the file is marked truncated. */
  maxFileBytes: number;
  /** Bytes of the whole body (files, operations, map and framing). */
  maxRequestBytes: number;
  maxFiles: number;
  /** Bytes of the `operations` and `map` fields each. */
  maxFieldBytes: number;
}

export class MultipartError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new MultipartError(400, 'BAD_REQUEST', message);

export interface ParsedMultipart {
  /** The `operations` field with every mapped placeholder replaced by its UploadedFile. */
  operations: unknown;
  files: UploadedFile[];
}

/** Removes the temporary files of a request (their content may already have been moved into the store). */
export function removeUploads(files: readonly { path: string }[]): Promise<unknown> {
  return Promise.all(files.map((f) => rm(f.path, { force: true })));
}

/** Drops temporary files a crashed process left behind (older than a day, so no live upload is touched). */
export async function removeStaleUploads(dir: string, olderThanMs = 24 * 3600 * 1000): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.endsWith('.part')) continue;
    const p = join(dir, name);
    const s = await stat(p).catch(() => null);
    if (s && Date.now() - s.mtimeMs > olderThanMs) await rm(p, { force: true });
  }
}

export async function parseMultipart(body: Readable, contentType: string, dir: string, limits: MultipartLimits): Promise<ParsedMultipart> {
  await mkdir(dir, { recursive: true });
  const temp: { path: string }[] = [];
  try {
    return await read(body, contentType, dir, limits, temp);
  } catch (e) {
    await removeUploads(temp);
    body.resume(); // whatever is left of the body is read past, never buffered
    throw e;
  }
}

function read(body: Readable, contentType: string, dir: string, limits: MultipartLimits, temp: { path: string }[]): Promise<ParsedMultipart> {
  return new Promise<ParsedMultipart>((resolve, reject) => {
    const writes: Promise<unknown>[] = [];
    const streams = new Set<BusboyFileStream>();
    let settled = false;
    // Stops reading, then waits for every file write to end so no temporary file appears after cleanup.
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      body.unpipe();
      for (const s of streams) s.destroy();
      const err = e instanceof MultipartError ? e : bad(`invalid multipart body: ${(e as Error).message}`);
      Promise.allSettled(writes).then(() => reject(err));
    };

    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({
        headers: { 'content-type': contentType },
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 2, fieldSize: limits.maxFieldBytes, parts: limits.maxFiles + 2 },
      });
    } catch (e) {
      return fail(e);
    }

    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > limits.maxRequestBytes) {
        fail(new MultipartError(413, 'UPLOAD_TOO_LARGE', `the request is more than ${limits.maxRequestBytes} bytes, the limit for this key`));
      }
    });
    body.on('error', fail);

    let operations: unknown;
    let map: Map<string, string[]> | null = null;
    const byField = new Map<string, UploadedFile>();

    parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (settled) return;
      if (valueTruncated) return fail(new MultipartError(413, 'UPLOAD_TOO_LARGE', `the "${name}" field is more than ${limits.maxFieldBytes} bytes`));
      try {
        if (name === 'operations' && operations === undefined) operations = parseJson(value, 'operations');
        else if (name === 'map' && map === null && operations !== undefined) map = parseMap(parseJson(value, 'map'));
        else throw bad(`unexpected field "${name}": a multipart request has "operations", then "map", then the files`);
      } catch (e) {
        fail(e);
      }
    });

    parser.on('file', (name, stream: BusboyFileStream, filename, _encoding, mimeType) => {
      if (settled || !map || !map.has(name) || byField.has(name)) {
        stream.resume(); // not (or no longer) wanted: read past it
        if (!map) fail(bad('the "operations" and "map" fields must come before the files'));
        return;
      }
      const path = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
      temp.push({ path });
      streams.add(stream);
      const { tap, result } = hashingTap();
      const written = pipeline(stream, tap, createWriteStream(path)).then(() => {
        streams.delete(stream);
        const { sha256, size } = result();
        byField.set(name, new UploadedFile(path, size, sha256, filename || null, mimeType || 'application/octet-stream', stream.truncated));
      });
      written.catch(fail);
      writes.push(written);
    });

    parser.on('filesLimit', () => fail(new MultipartError(413, 'UPLOAD_TOO_LARGE', `a request may carry at most ${limits.maxFiles} files`)));
    parser.on('partsLimit', () => fail(bad('too many parts in the multipart body')));
    parser.on('fieldsLimit', () => fail(bad('a multipart request has exactly two fields, "operations" and "map"')));
    parser.on('error', fail);
    parser.on('finish', () => {
      Promise.all(writes).then(() => {
        if (settled) return;
        try {
          if (operations === undefined) throw bad('missing multipart field "operations"');
          for (const [field, paths] of map ?? []) {
            const file = byField.get(field);
            if (!file) throw bad(`the map names file "${field}", which the request does not contain`);
            for (const p of paths) placeAt(operations, p, file);
          }
          settled = true;
          resolve({ operations, files: [...byField.values()] });
        } catch (e) {
          fail(e);
        }
      }, fail);
    });
    body.pipe(parser);
  });
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bad(`the multipart field "${field}" is not valid JSON`);
  }
}

/** `{ "0": ["variables.file"], ... }`: file field names to object paths. */
function parseMap(raw: unknown): Map<string, string[]> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the multipart field "map" must be an object of file names to lists of paths');
  const out = new Map<string, string[]>();
  for (const [name, paths] of Object.entries(raw)) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) {
      throw bad(`map entry "${name}" must be a non-empty list of paths such as "variables.file"`);
    }
    out.set(name, paths);
  }
  return out;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Puts the file where the spec says the client left a `null` placeholder; any other target is refused. */
function placeAt(operations: unknown, path: string, file: UploadedFile): void {
  const keys = path.split('.');
  let node: unknown = operations;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (node === null || typeof node !== 'object' || FORBIDDEN_KEYS.has(key) || !Object.hasOwn(node, key)) {
      throw bad(`the map path "${path}" does not name a null placeholder in "operations"`);
    }
    if (i === keys.length - 1) {
      if ((node as Record<string, unknown>)[key] !== null) throw bad(`the map path "${path}" does not name a null placeholder in "operations"`);
      (node as Record<string, unknown>)[key] = file;
      return;
    }
    node = (node as Record<string, unknown>)[key];
  }
}
