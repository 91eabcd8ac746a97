// Unpacks the study report (a ZIP of stored or deflated entries, no ZIP64) into a folder. The CLI may
// import only the SDK, so it reads the archive itself; entry names that would leave the folder
// (absolute, `..`, backslashes) and entries whose CRC-32 does not match are refused.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  bytes: Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

export function readZip(zip: Buffer): ZipEntry[] {
  // The end record is the last 22 bytes unless the archive has a comment (at most 65535 bytes).
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a ZIP archive (no end of central directory)');
  const entries: ZipEntry[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    if (zip.readUInt32LE(at) !== CENTRAL_HEADER) throw new Error('corrupt ZIP: bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (zip.readUInt32LE(local) !== LOCAL_HEADER) throw new Error(`corrupt ZIP: no local header for ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    if (method !== 0 && method !== 8) throw new Error(`${name}: unsupported ZIP compression method ${method}`);
    const bytes = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    if (crc32(bytes) >>> 0 !== crc) throw new Error(`${name}: CRC-32 mismatch`);
    if (name.endsWith('/')) continue; // a directory entry
    if (!name || path.isAbsolute(name) || name.includes('\\') || name.split('/').includes('..')) throw new Error(`refusing the archive path "${name}"`);
    entries.push({ name, bytes });
  }
  return entries;
}

/** Writes every entry under `dir`; returns the relative paths written. */
export async function unzipTo(zip: Buffer, dir: string): Promise<string[]> {
  const entries = readZip(zip);
  for (const e of entries) {
    const file = path.join(dir, ...e.name.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, e.bytes);
  }
  return entries.map((e) => e.name);
}
