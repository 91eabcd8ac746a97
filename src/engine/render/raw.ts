// Raw maps as NumPy .npy files (numpy.lib.format), so Python users can np.load() them.
// The writer reproduces numpy.save byte for byte for a C-ordered little-endian float32 array:
// format 1.0, header = repr of the sorted dict, GROWTH_AXIS_MAX_DIGITS spare spaces (numpy ≥ 1.23
// writes them), then spaces and '\n' so the data starts at a multiple of 64 bytes.
import { EngineError } from '../errors.ts';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

function checkShape(shape: readonly number[]): number {
  if (!Array.isArray(shape)) invalid('shape must be an array of non-negative integers');
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) invalid(`shape entries must be non-negative integers, got ${String(d)}`);
    n *= d;
  }
  return n;
}

/** Python's repr of a tuple of ints: (), (3,), (2, 3). */
function tupleRepr(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The full .npy prefix (magic, version 1.0, header length, padded header) for a '<f4' C-order array. */
export function npyHeader(shape: readonly number[], descr = '<f4'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tupleRepr(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = header.length + 1; // + '\n'
  // numpy: padlen = ARRAY_ALIGN − ((MAGIC_LEN + 2 + hlen) % ARRAY_ALIGN), so never 0 (64 instead).
  const padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ARRAY_ALIGN);
  const total = hlen + padlen;
  if (total > 0xffff) invalid('shape too long for a version 1.0 .npy header');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1; // major
  prefix[7] = 0; // minor
  prefix.writeUInt16LE(total, 8);
  return Buffer.concat([prefix, Buffer.from(header + ' '.repeat(padlen) + '\n', 'latin1')]);
}

/** A float32 array (row-major / C order) as a .npy file: dtype '<f4', version 1.0. */
export function encodeNpy(data: Float32Array, shape: number[]): Buffer {
  if (!(data instanceof Float32Array)) invalid('encodeNpy expects a Float32Array');
  const n = checkShape(shape);
  if (n !== data.length) invalid(`shape ${tupleRepr(shape)} holds ${n} values, but the data has ${data.length}`);
  const head = npyHeader(shape);
  const out = Buffer.allocUnsafe(head.length + data.length * 4);
  head.copy(out, 0);
  if (LITTLE_ENDIAN) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, head.length);
  } else {
    for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], head.length + i * 4);
  }
  return out;
}

export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
  descr: string;
  fortranOrder: boolean;
  version: [number, number];
}

/** Reads a .npy file (versions 1.0–3.0; dtypes <f4, <f8, <i4, |u1) — enough to check what encodeNpy writes. */
export function decodeNpy(buf: Buffer): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) invalid('not a .npy file (bad magic)');
  const major = buf[6];
  const minor = buf[7];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) invalid('truncated .npy header');
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    invalid(`unsupported .npy version ${major}.${minor}`);
  }
  if (start + headerLen > buf.length) invalid('truncated .npy header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) invalid(`malformed .npy header: ${header.trim()}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  const n = checkShape(shape);
  const offset = start + headerLen;
  const bytes = buf.subarray(offset);
  const read = <T extends NpyData>(size: number, make: (len: number) => T, get: (o: number) => number): T => {
    if (bytes.length !== n * size) invalid(`expected ${n * size} data bytes for shape ${tupleRepr(shape)}, got ${bytes.length}`);
    const out = make(n);
    for (let i = 0; i < n; i++) out[i] = get(i * size);
    return out;
  };
  let data: NpyData;
  switch (descr) {
    case '<f4':
      data = read(4, (l) => new Float32Array(l), (o) => bytes.readFloatLE(o));
      break;
    case '<f8':
      data = read(8, (l) => new Float64Array(l), (o) => bytes.readDoubleLE(o));
      break;
    case '<i4':
      data = read(4, (l) => new Int32Array(l), (o) => bytes.readInt32LE(o));
      break;
    case '|u1':
      data = read(1, (l) => new Uint8Array(l), (o) => bytes[o]);
      break;
    default:
      invalid(`unsupported .npy dtype ${descr}`);
  }
  return { data, shape, descr, fortranOrder: fortran === 'True', version: [major, minor] };
}
