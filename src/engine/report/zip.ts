// A deterministic ZIP writer: the same files give the same bytes. Entries are sorted by name, every
// timestamp is the DOS epoch (1980-01-01 00:00), no extra fields or comments, names flagged UTF-8.
// Each entry says how it is packed (see Packing); deflated data is stored instead when that is not
// smaller. No ZIP64: archives stay < 4 GiB.
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCb, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { EngineError } from '../errors.ts';

const deflateRaw = promisify(deflateRawCb);

/**
 * - 'deflate' (default): zlib level 6, its default: on text within a few % of level 9's size at a
 *   fraction of its time (level 9 searches far longer for matches that barely shorten CSV or JSON).
 * - 'huffman': deflate without match finding (Z_HUFFMAN_ONLY), for text that is mostly base64 of
 *   compressed data (report.html's inlined PNGs): there LZ77 finds next to nothing, and Huffman coding
 *   alone takes back base64's 6-bits-in-8, as small as level 9 within 0.5% in a quarter of its time.
 *   Without match finding the bytes cannot depend on how a zlib build hashes its matches either.
 * - 'store': as is (method 0), for data that is compressed already (PNG): deflating it again gains
 *   nothing (0.1% on a report's grids) and costs its full time.
 */
export type Packing = 'deflate' | 'huffman' | 'store';

export interface ArchiveFile {
  /** Path inside the archive, '/'-separated, no leading '/' or '..'. */
  name: string;
  bytes: Uint8Array;
  packing?: Packing;
}

const ZLIB: Record<Exclude<Packing, 'store'>, ZlibOptions> = {
  deflate: { level: 6 },
  huffman: { level: 6, strategy: constants.Z_HUFFMAN_ONLY },
};

const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME = 0;
const UTF8 = 1 << 11;

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '' || p === '.') || name.includes('\\')) {
    throw new EngineError('INVALID_ARGUMENT', `bad archive path "${name}"`);
  }
}

/** An entry's data as the archive holds it: deflated, or stored when that is not smaller. */
interface Packed {
  data: Buffer;
  stored: boolean;
  crc: number;
}

const rawOf = (f: ArchiveFile) => Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
const packed = (raw: Buffer, deflated: Buffer | null): Packed => {
  const stored = !deflated || deflated.length >= raw.length;
  return { data: stored ? raw : deflated, stored, crc: crc32(raw) };
};
const zlibOptions = (f: ArchiveFile): ZlibOptions | null => (f.packing === 'store' ? null : ZLIB[f.packing ?? 'deflate']);
const packSync = (f: ArchiveFile): Packed => {
  const opts = zlibOptions(f);
  return packed(rawOf(f), opts && deflateRawSync(rawOf(f), opts));
};
const packAsync = async (f: ArchiveFile): Promise<Packed> => {
  const opts = zlibOptions(f);
  return packed(rawOf(f), opts && (await deflateRaw(rawOf(f), opts)));
};

function sortedChecked(files: readonly ArchiveFile[]): ArchiveFile[] {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    checkName(sorted[i].name);
    if (i > 0 && sorted[i].name === sorted[i - 1].name) throw new EngineError('INVALID_ARGUMENT', `duplicate archive path "${sorted[i].name}"`);
  }
  return sorted;
}

export function zipArchive(files: readonly ArchiveFile[]): Buffer {
  const sorted = sortedChecked(files);
  return assemble(sorted, sorted.map(packSync));
}

/** The same bytes as zipArchive, the entries deflated at once on libuv's thread pool. */
export async function zipArchiveParallel(files: readonly ArchiveFile[]): Promise<Buffer> {
  const sorted = sortedChecked(files);
  return assemble(sorted, await Promise.all(sorted.map(packAsync)));
}

function assemble(sorted: ArchiveFile[], entries: Packed[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [i, f] of sorted.entries()) {
    const name = Buffer.from(f.name, 'utf8');
    const raw = f.bytes;
    const { data, stored, crc } = entries[i];
    if (offset + 30 + name.length + data.length > 0xffffffff) throw new EngineError('INVALID_ARGUMENT', 'archive larger than 4 GiB');
    // The local header and the central entry repeat the same run of fields (from "version needed" to
    // the name's length), two bytes further in the entry, which first says who made it.
    const header = (buf: Buffer, at: number): void => {
      buf.writeUInt16LE(20, at); // version needed
      buf.writeUInt16LE(UTF8, at + 2);
      buf.writeUInt16LE(stored ? 0 : 8, at + 4);
      buf.writeUInt16LE(DOS_TIME, at + 6);
      buf.writeUInt16LE(DOS_DATE, at + 8);
      buf.writeUInt32LE(crc, at + 10);
      buf.writeUInt32LE(data.length, at + 14);
      buf.writeUInt32LE(raw.length, at + 18);
      buf.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    header(local, 4);
    local.writeUInt16LE(0, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is honoured)
    header(entry, 6);
    entry.writeUInt16LE(0, 30); // extra
    entry.writeUInt16LE(0, 32); // comment
    entry.writeUInt16LE(0, 34); // disk
    entry.writeUInt16LE(0, 36); // internal attributes
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    entry.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(entry, name);
    offset += 30 + name.length + data.length;
  }
  const centralSize = central.reduce((s, b) => s + b.length, 0);
  if (sorted.length > 0xffff) throw new EngineError('INVALID_ARGUMENT', 'more than 65535 archive entries');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/** Reads back an archive this module wrote (and any plain deflate/stored ZIP without ZIP64). */
export function unzipArchive(zip: Buffer): ArchiveFile[] {
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new EngineError('INVALID_ARGUMENT', 'not a ZIP archive');
  const count = zip.readUInt16LE(endAt + 10);
  let p = zip.readUInt32LE(endAt + 16);
  const out: ArchiveFile[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new EngineError('INVALID_ARGUMENT', 'corrupt ZIP central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    out.push({ name, bytes: method === 8 ? inflateRawSync(data) : Buffer.from(data) });
    p += 46 + skip;
  }
  return out;
}

