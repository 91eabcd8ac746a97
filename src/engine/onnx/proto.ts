// Dependency-free protobuf codec for the subset of onnx.proto the engine needs.
//
// Representation choices (documented because callers depend on them):
// - int64/uint64 scalars and lists decode to JS `number`. Exact for |v| <= 2^53; larger values
//   (in practice only the INT64_MAX/INT64_MIN sentinels of Slice) round to the nearest double and
//   encoding saturates to the int64 range, so those sentinels round-trip exactly.
// - raw_data, AttributeProto.s/strings and string_data are zero-copy subarrays of the input bytes:
//   keep the input buffer alive and do not mutate it while the decoded model is in use.
// - float_data / int32_data / double_data decode to fresh typed arrays.
// - Fields this codec does not model (sparse tensors, functions, training info, ...) are kept
//   verbatim in `$unknown` and written back on encode, so decode → encode is lossless.
import { EngineError } from '../errors.ts';

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export function dataTypeName(code: number): string {
  for (const [k, v] of Object.entries(DataType)) if (v === code) return k;
  return `UNKNOWN(${code})`;
}

export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** Raw bytes of fields the codec does not model; re-emitted verbatim on encode. */
interface Unknown {
  $unknown?: Uint8Array[];
}

export interface StringStringEntryProto extends Unknown {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto extends Unknown {
  domain?: string;
  version?: number;
}

export interface TensorProto extends Unknown {
  dims: number[];
  dataType?: number;
  floatData?: Float32Array;
  int32Data?: Int32Array;
  stringData: Uint8Array[];
  int64Data: number[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData: StringStringEntryProto[];
  dataLocation?: number;
  doubleData?: Float64Array;
  uint64Data: number[];
}

export interface DimensionProto extends Unknown {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShapeProto extends Unknown {
  dim: DimensionProto[];
}

export interface TensorTypeProto extends Unknown {
  elemType?: number;
  shape?: TensorShapeProto;
}

/** Only tensor types are modelled; sequence/map/optional types survive in `$unknown`. */
export interface TypeProto extends Unknown {
  tensorType?: TensorTypeProto;
  denotation?: string;
}

export interface ValueInfoProto extends Unknown {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface AttributeProto extends Unknown {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

export interface NodeProto extends Unknown {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute: AttributeProto[];
  docString?: string;
}

export interface GraphProto extends Unknown {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface ModelProto extends Unknown {
  irVersion?: number;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps: StringStringEntryProto[];
}

// ---------------------------------------------------------------------------------------------
// Schemas: one table per message drives decode, size and encode, so the three cannot drift.

type Kind = 'int' | 'uint' | 'float' | 'double' | 'string' | 'bytes' | 'msg';
/** 'list' → JS array; 'f32' | 'i32' | 'f64' → typed array (bulk numeric payloads). */
type Rep = 'one' | 'list' | 'f32' | 'i32' | 'f64';

interface Field {
  no: number;
  key: string;
  kind: Kind;
  rep: Rep;
  msg?: Schema;
}

interface Schema {
  name: string;
  fields: Field[];
  byNo: Map<number, Field>;
  check?: (o: any) => void;
}

function schema(name: string, check?: (o: any) => void): Schema {
  return { name, fields: [], byNo: new Map(), check };
}

function define(s: Schema, fields: [number, string, Kind, Rep?, Schema?][]): void {
  for (const [no, key, kind, rep = 'one', msg] of fields) {
    const f: Field = { no, key, kind, rep, msg };
    s.fields.push(f);
    s.byNo.set(no, f);
  }
}

const SSEntry = schema('StringStringEntryProto');
const OpsetId = schema('OperatorSetIdProto');
const Tensor = schema('TensorProto', (t: TensorProto) => {
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    throw new EngineError(
      'UNSUPPORTED_MODEL',
      `tensor '${t.name ?? ''}' keeps its data in an external file; only self-contained .onnx files are supported`,
    );
  }
});
const Dimension = schema('TensorShapeProto.Dimension');
const Shape = schema('TensorShapeProto');
const TensorType = schema('TypeProto.Tensor');
const Type = schema('TypeProto');
const ValueInfo = schema('ValueInfoProto');
const Attribute = schema('AttributeProto');
const Node = schema('NodeProto');
const Graph = schema('GraphProto');
const Model = schema('ModelProto', (m: ModelProto) => {
  if (!m.graph) throw invalid('the file has no graph (is it really an .onnx model?)');
});

define(SSEntry, [
  [1, 'key', 'string'],
  [2, 'value', 'string'],
]);
define(OpsetId, [
  [1, 'domain', 'string'],
  [2, 'version', 'int'],
]);
define(Tensor, [
  [1, 'dims', 'int', 'list'],
  [2, 'dataType', 'int'],
  [4, 'floatData', 'float', 'f32'],
  [5, 'int32Data', 'int', 'i32'],
  [6, 'stringData', 'bytes', 'list'],
  [7, 'int64Data', 'int', 'list'],
  [8, 'name', 'string'],
  [12, 'docString', 'string'],
  [9, 'rawData', 'bytes'],
  [13, 'externalData', 'msg', 'list', SSEntry],
  [14, 'dataLocation', 'int'],
  [10, 'doubleData', 'double', 'f64'],
  [11, 'uint64Data', 'uint', 'list'],
]);
define(Dimension, [
  [1, 'dimValue', 'int'],
  [2, 'dimParam', 'string'],
  [3, 'denotation', 'string'],
]);
define(Shape, [[1, 'dim', 'msg', 'list', Dimension]]);
define(TensorType, [
  [1, 'elemType', 'int'],
  [2, 'shape', 'msg', 'one', Shape],
]);
define(Type, [
  [1, 'tensorType', 'msg', 'one', TensorType],
  [6, 'denotation', 'string'],
]);
define(ValueInfo, [
  [1, 'name', 'string'],
  [2, 'type', 'msg', 'one', Type],
  [3, 'docString', 'string'],
]);
define(Attribute, [
  [1, 'name', 'string'],
  [21, 'refAttrName', 'string'],
  [13, 'docString', 'string'],
  [20, 'type', 'int'],
  [2, 'f', 'float'],
  [3, 'i', 'int'],
  [4, 's', 'bytes'],
  [5, 't', 'msg', 'one', Tensor],
  [6, 'g', 'msg', 'one', Graph],
  [7, 'floats', 'float', 'list'],
  [8, 'ints', 'int', 'list'],
  [9, 'strings', 'bytes', 'list'],
  [10, 'tensors', 'msg', 'list', Tensor],
  [11, 'graphs', 'msg', 'list', Graph],
]);
define(Node, [
  [1, 'input', 'string', 'list'],
  [2, 'output', 'string', 'list'],
  [3, 'name', 'string'],
  [4, 'opType', 'string'],
  [7, 'domain', 'string'],
  [5, 'attribute', 'msg', 'list', Attribute],
  [6, 'docString', 'string'],
]);
define(Graph, [
  [1, 'node', 'msg', 'list', Node],
  [2, 'name', 'string'],
  [5, 'initializer', 'msg', 'list', Tensor],
  [10, 'docString', 'string'],
  [11, 'input', 'msg', 'list', ValueInfo],
  [12, 'output', 'msg', 'list', ValueInfo],
  [13, 'valueInfo', 'msg', 'list', ValueInfo],
]);
define(Model, [
  [1, 'irVersion', 'int'],
  [8, 'opsetImport', 'msg', 'list', OpsetId],
  [2, 'producerName', 'string'],
  [3, 'producerVersion', 'string'],
  [4, 'domain', 'string'],
  [5, 'modelVersion', 'int'],
  [6, 'docString', 'string'],
  [7, 'graph', 'msg', 'one', Graph],
  [14, 'metadataProps', 'msg', 'list', SSEntry],
]);

// ---------------------------------------------------------------------------------------------
// Decoding

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;
const MAX_DEPTH = 100;
const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function invalid(msg: string): EngineError {
  return new EngineError('INVALID_MODEL', `not a valid ONNX model: ${msg}`);
}

class Reader {
  pos = 0;
  lo = 0;
  hi = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads a varint into lo/hi (unsigned 32-bit halves). */
  varint(end: number): void {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let byte = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw invalid(`truncated data at byte ${p}`);
      byte = b[p++];
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done(p, lo, 0);
    }
    if (p >= end) throw invalid(`truncated data at byte ${p}`);
    byte = b[p++];
    lo |= (byte & 0x7f) << 28;
    hi = (byte & 0x7f) >>> 4;
    if (byte < 0x80) return this.done(p, lo, hi);
    for (let shift = 3; shift < 38; shift += 7) {
      if (p >= end) throw invalid(`truncated data at byte ${p}`);
      byte = b[p++];
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done(p, lo, hi);
    }
    throw invalid(`malformed varint at byte ${this.pos}`);
  }

  private done(p: number, lo: number, hi: number): void {
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  signed(): number {
    return (this.hi | 0) * TWO_32 + this.lo;
  }

  unsigned(): number {
    return this.hi * TWO_32 + this.lo;
  }

  /** Length prefix of a wire-type-2 field; returns the end offset, bounds-checked. */
  length(end: number): number {
    this.varint(end);
    const len = this.unsigned();
    if (this.pos + len > end) {
      throw invalid(`truncated data: a field of ${len} bytes at byte ${this.pos} runs past its end`);
    }
    return this.pos + len;
  }

  fixed(size: number, end: number): number {
    if (this.pos + size > end) throw invalid(`truncated data at byte ${this.pos}`);
    const p = this.pos;
    this.pos += size;
    return p;
  }

  skip(wireType: number, end: number): void {
    switch (wireType) {
      case 0:
        this.varint(end);
        return;
      case 1:
        this.fixed(8, end);
        return;
      case 2:
        this.pos = this.length(end);
        return;
      case 5:
        this.fixed(4, end);
        return;
      default:
        throw invalid(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }
}

const WIRE: Record<Kind, number> = { int: 0, uint: 0, float: 5, double: 1, string: 2, bytes: 2, msg: 2 };

function readScalar(r: Reader, kind: Kind, end: number, depth: number, sub?: Schema): unknown {
  switch (kind) {
    case 'int':
      r.varint(end);
      return r.signed();
    case 'uint':
      r.varint(end);
      return r.unsigned();
    case 'float':
      return r.view.getFloat32(r.fixed(4, end), true);
    case 'double':
      return r.view.getFloat64(r.fixed(8, end), true);
    case 'string': {
      const e = r.length(end);
      const s = utf8Decoder.decode(r.buf.subarray(r.pos, e));
      r.pos = e;
      return s;
    }
    case 'bytes': {
      const e = r.length(end);
      const s = r.buf.subarray(r.pos, e);
      r.pos = e;
      return s;
    }
    case 'msg': {
      const e = r.length(end);
      return decodeMessage(r, e, sub!, depth + 1);
    }
  }
}

/** Packed numeric payload [r.pos, e) → plain numbers. */
function readPacked(r: Reader, kind: Kind, e: number, out: number[]): void {
  while (r.pos < e) out.push(readScalar(r, kind, e, 0) as number);
}

/** Bulk little-endian copy into an aligned typed array. */
function readPackedFixed(r: Reader, rep: 'f32' | 'f64', e: number): Float32Array | Float64Array {
  const width = rep === 'f32' ? 4 : 8;
  const n = e - r.pos;
  if (n % width !== 0) throw invalid(`packed ${rep} field of ${n} bytes at byte ${r.pos}`);
  const bytes = copyBytes(r.buf.subarray(r.pos, e)); // copy also aligns
  let out: Float32Array | Float64Array;
  if (LITTLE_ENDIAN) out = rep === 'f32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  else {
    const dv = new DataView(bytes.buffer);
    out = rep === 'f32' ? new Float32Array(n / 4) : new Float64Array(n / 8);
    for (let i = 0; i < out.length; i++) out[i] = rep === 'f32' ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
  }
  r.pos = e;
  return out;
}

/** Fresh, standalone copy (Buffer#slice would return a view into the same memory). */
function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function makeTyped(rep: Rep, values: ArrayLike<number>): Float32Array | Int32Array | Float64Array {
  if (rep === 'f32') return Float32Array.from(values);
  if (rep === 'i32') return Int32Array.from(values);
  return Float64Array.from(values);
}

function decodeMessage(r: Reader, end: number, s: Schema, depth: number): any {
  if (depth > MAX_DEPTH) throw invalid(`messages nested more than ${MAX_DEPTH} levels deep`);
  const o: any = {};
  for (const f of s.fields) if (f.rep === 'list') o[f.key] = [];
  // Typed-array fields may arrive as several packed chunks and/or unpacked elements.
  let pieces: Map<Field, ArrayLike<number>[]> | undefined;
  while (r.pos < end) {
    const start = r.pos;
    r.varint(end);
    if (r.hi !== 0) throw invalid(`bad field tag at byte ${start}`);
    const no = r.lo >>> 3;
    const wt = r.lo & 7;
    if (no === 0) throw invalid(`field number 0 at byte ${start} in ${s.name}`);
    const f = s.byNo.get(no);
    if (!f) {
      r.skip(wt, end);
      (o.$unknown ??= []).push(r.buf.subarray(start, r.pos));
      continue;
    }
    const expected = WIRE[f.kind];
    const numeric = expected !== 2;
    if (f.rep === 'one' || f.rep === 'list') {
      if (wt === expected) {
        const v = readScalar(r, f.kind, end, depth, f.msg);
        if (f.rep === 'one') o[f.key] = v;
        else o[f.key].push(v);
      } else if (f.rep === 'list' && numeric && wt === 2) {
        readPacked(r, f.kind, r.length(end), o[f.key]);
      } else {
        throw invalid(`${s.name}.${f.key} has wire type ${wt} at byte ${start}`);
      }
      continue;
    }
    // typed-array fields
    pieces ??= new Map();
    let list = pieces.get(f);
    if (!list) pieces.set(f, (list = []));
    if (wt === 2) {
      const e = r.length(end);
      if (f.rep === 'i32') {
        const tmp: number[] = [];
        readPacked(r, f.kind, e, tmp);
        list.push(tmp);
      } else list.push(readPackedFixed(r, f.rep, e));
    } else if (wt === expected) {
      list.push([readScalar(r, f.kind, end, depth) as number]);
    } else {
      throw invalid(`${s.name}.${f.key} has wire type ${wt} at byte ${start}`);
    }
  }
  if (r.pos !== end) throw invalid(`field overruns its message at byte ${r.pos}`);
  if (pieces) {
    for (const [f, list] of pieces) {
      const first = list[0];
      const single = list.length === 1 && (first instanceof Float32Array || first instanceof Float64Array);
      o[f.key] = single ? first : makeTyped(f.rep, list.flatMap((a) => Array.from(a)));
    }
  }
  s.check?.(o);
  return o;
}

/**
 * Parses an ONNX ModelProto. Throws EngineError INVALID_MODEL for anything that is not
 * well-formed protobuf with a graph, and UNSUPPORTED_MODEL for external-data models.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes');
  const r = new Reader(bytes);
  try {
    return decodeMessage(r, bytes.length, Model, 0) as ModelProto;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    // Defensive: anything unexpected (e.g. RangeError on absurd sizes) is still a bad file.
    throw invalid(e instanceof Error ? e.message : String(e));
  }
}

/** Decodes a standalone TensorProto (e.g. an ONNX .pb test tensor). */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  const r = new Reader(bytes);
  return decodeMessage(r, bytes.length, Tensor, 0) as TensorProto;
}

// ---------------------------------------------------------------------------------------------
// Encoding: pass 1 measures every nested message (pre-order, recorded in `sizes`), pass 2 writes
// into one preallocated buffer consuming `sizes` in the same order.

let splitLo = 0;
let splitHi = 0;

/** Splits a number into two's-complement int64 halves (saturating), or uint64 when unsigned. */
function split64(v: number, unsigned: boolean): void {
  if (!Number.isFinite(v)) throw new EngineError('INVALID_ARGUMENT', `cannot encode ${v} as an integer`);
  v = Math.trunc(v);
  if (unsigned && v >= 18446744073709551615) {
    splitLo = 0xffffffff;
    splitHi = 0xffffffff;
    return;
  }
  if (!unsigned && v >= 9223372036854775807) {
    splitLo = 0xffffffff;
    splitHi = 0x7fffffff;
    return;
  }
  if (v <= -9223372036854775808) {
    splitLo = 0;
    splitHi = 0x80000000;
    return;
  }
  const a = Math.abs(v);
  let lo = a % TWO_32 >>> 0;
  let hi = Math.floor(a / TWO_32) >>> 0;
  if (v < 0) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  splitLo = lo;
  splitHi = hi;
}

function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function varint64Size(v: number, unsigned: boolean): number {
  if (v >= 0 && v < 0x80) return 1;
  split64(v, unsigned);
  if (splitHi === 0) return varint32Size(splitLo);
  const bits = 64 - Math.clz32(splitHi);
  return Math.ceil(bits / 7);
}

function scalarSize(kind: Kind, v: any): number {
  switch (kind) {
    case 'int':
      return varint64Size(v, false);
    case 'uint':
      return varint64Size(v, true);
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'string':
      return Buffer.byteLength(v, 'utf8');
    case 'bytes':
      return v.length;
    default:
      throw new Error('unreachable');
  }
}

function packedSize(kind: Kind, values: ArrayLike<number>): number {
  if (kind === 'float') return values.length * 4;
  if (kind === 'double') return values.length * 8;
  let n = 0;
  for (let i = 0; i < values.length; i++) n += scalarSize(kind, values[i]);
  return n;
}

function measure(o: any, s: Schema, sizes: number[]): number {
  let n = 0;
  for (const f of s.fields) {
    const v = o[f.key];
    if (v === undefined || v === null) continue;
    const tag = varint32Size(f.no << 3);
    if (f.kind === 'msg') {
      const items = f.rep === 'one' ? [v] : v;
      for (const m of items) {
        const at = sizes.length;
        sizes.push(0);
        const len = measure(m, f.msg!, sizes);
        sizes[at] = len;
        n += tag + varint32Size(len) + len;
      }
    } else if (f.rep === 'one') {
      const len = scalarSize(f.kind, v);
      n += tag + (WIRE[f.kind] === 2 ? varint32Size(len) : 0) + len;
    } else if (WIRE[f.kind] === 2) {
      for (const item of v) {
        const len = scalarSize(f.kind, item);
        n += tag + varint32Size(len) + len;
      }
    } else if (v.length > 0) {
      const len = packedSize(f.kind, v);
      n += tag + varint32Size(len) + len;
    }
  }
  if (o.$unknown) for (const u of o.$unknown as Uint8Array[]) n += u.length;
  return n;
}

class Writer {
  pos = 0;
  cursor = 0;
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly sizes: number[],
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  uvarint32(v: number): void {
    const b = this.buf;
    while (v > 127) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  varint64(v: number, unsigned: boolean): void {
    if (v >= 0 && v < 0x80) {
      this.buf[this.pos++] = v;
      return;
    }
    split64(v, unsigned);
    let lo = splitLo;
    let hi = splitHi;
    const b = this.buf;
    while (hi !== 0) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.uvarint32(lo);
  }

  scalar(kind: Kind, v: any): void {
    switch (kind) {
      case 'int':
        return this.varint64(v, false);
      case 'uint':
        return this.varint64(v, true);
      case 'float':
        this.view.setFloat32(this.pos, v, true);
        this.pos += 4;
        return;
      case 'double':
        this.view.setFloat64(this.pos, v, true);
        this.pos += 8;
        return;
      case 'string': {
        this.uvarint32(Buffer.byteLength(v, 'utf8'));
        this.pos += utf8Encoder.encodeInto(v, this.buf.subarray(this.pos)).written;
        return;
      }
      case 'bytes':
        this.uvarint32(v.length);
        this.buf.set(v, this.pos);
        this.pos += v.length;
        return;
    }
  }

  packed(kind: Kind, values: ArrayLike<number>): void {
    const bulk =
      LITTLE_ENDIAN &&
      ((kind === 'float' && values instanceof Float32Array) || (kind === 'double' && values instanceof Float64Array));
    if (bulk) {
      const t = values as Float32Array | Float64Array;
      this.buf.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), this.pos);
      this.pos += t.byteLength;
      return;
    }
    for (let i = 0; i < values.length; i++) this.scalar(kind, values[i]);
  }

  message(o: any, s: Schema): void {
    for (const f of s.fields) {
      const v = o[f.key];
      if (v === undefined || v === null) continue;
      const wt = WIRE[f.kind];
      if (f.kind === 'msg') {
        const items = f.rep === 'one' ? [v] : v;
        for (const m of items) {
          this.uvarint32((f.no << 3) | 2);
          this.uvarint32(this.sizes[this.cursor++]);
          this.message(m, f.msg!);
        }
      } else if (f.rep === 'one') {
        this.uvarint32((f.no << 3) | wt);
        this.scalar(f.kind, v);
      } else if (wt === 2) {
        for (const item of v) {
          this.uvarint32((f.no << 3) | 2);
          this.scalar(f.kind, item);
        }
      } else if (v.length > 0) {
        this.uvarint32((f.no << 3) | 2);
        this.uvarint32(packedSize(f.kind, v));
        this.packed(f.kind, v);
      }
    }
    if (o.$unknown) {
      for (const u of o.$unknown as Uint8Array[]) {
        this.buf.set(u, this.pos);
        this.pos += u.length;
      }
    }
  }
}

function encodeWith(o: unknown, s: Schema): Uint8Array {
  const sizes: number[] = [];
  const total = measure(o, s, sizes);
  const w = new Writer(new Uint8Array(total), sizes);
  w.message(o, s);
  if (w.pos !== total) throw new Error(`protobuf encoder size mismatch: wrote ${w.pos} of ${total} bytes`);
  return w.buf;
}

/** Serializes a ModelProto (repeated fields may be omitted/undefined). */
export function encodeModel(m: ModelProto): Uint8Array {
  return encodeWith(m, Model);
}

export function encodeTensor(t: TensorProto): Uint8Array {
  return encodeWith(t, Tensor);
}

// ---------------------------------------------------------------------------------------------
// Tensor helpers

export function tensorElementCount(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims) n *= d;
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Values of a FLOAT (also DOUBLE / FLOAT16) tensor as a fresh Float32Array, from raw_data
 * (little-endian) or the typed field. Throws UNSUPPORTED_MODEL for other element types.
 */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const n = tensorElementCount(t);
  const dt = t.dataType ?? DataType.UNDEFINED;
  let out: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = dt === DataType.FLOAT ? 4 : dt === DataType.DOUBLE ? 8 : dt === DataType.FLOAT16 ? 2 : 0;
    if (width === 0) throw unsupportedType(t);
    if (raw.length !== n * width) {
      throw invalid(`tensor '${t.name ?? ''}' has ${raw.length} bytes of raw_data, expected ${n * width}`);
    }
    if (dt === DataType.FLOAT && LITTLE_ENDIAN) return new Float32Array(copyBytes(raw).buffer);
    out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] =
        dt === DataType.FLOAT
          ? dv.getFloat32(i * 4, true)
          : dt === DataType.DOUBLE
            ? dv.getFloat64(i * 8, true)
            : halfToFloat(dv.getUint16(i * 2, true));
    }
    return out;
  }
  if (dt === DataType.FLOAT) out = Float32Array.from(t.floatData ?? []);
  else if (dt === DataType.DOUBLE) out = Float32Array.from(t.doubleData ?? []);
  else if (dt === DataType.FLOAT16) out = Float32Array.from(t.int32Data ?? [], (h) => halfToFloat(h & 0xffff));
  else throw unsupportedType(t);
  if (out.length !== n) {
    throw invalid(`tensor '${t.name ?? ''}' has ${out.length} values, expected ${n} for dims [${t.dims.join(', ')}]`);
  }
  return out;
}

/**
 * Values of any numeric tensor (float, int, bool types) as plain numbers, e.g. Reshape shapes or
 * Slice bounds. int64 follows the codec's number convention (exact up to 2^53).
 */
export function tensorToNumbers(t: TensorProto): number[] {
  const dt = t.dataType ?? DataType.UNDEFINED;
  if (dt === DataType.FLOAT || dt === DataType.DOUBLE || dt === DataType.FLOAT16) return Array.from(tensorToFloat32(t));
  const n = tensorElementCount(t);
  let out: number[];
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Partial<Record<number, [number, (o: number) => number]>> = {
      [DataType.INT64]: [8, (o) => Number(dv.getBigInt64(o, true))],
      [DataType.UINT64]: [8, (o) => Number(dv.getBigUint64(o, true))],
      [DataType.INT32]: [4, (o) => dv.getInt32(o, true)],
      [DataType.UINT32]: [4, (o) => dv.getUint32(o, true)],
      [DataType.INT16]: [2, (o) => dv.getInt16(o, true)],
      [DataType.UINT16]: [2, (o) => dv.getUint16(o, true)],
      [DataType.INT8]: [1, (o) => dv.getInt8(o)],
      [DataType.UINT8]: [1, (o) => dv.getUint8(o)],
      [DataType.BOOL]: [1, (o) => dv.getUint8(o)],
    };
    const r = read[dt];
    if (!r) throw unsupportedType(t, 'a numeric tensor');
    const [width, get] = r;
    if (raw.length !== n * width) {
      throw invalid(`tensor '${t.name ?? ''}' has ${raw.length} bytes of raw_data, expected ${n * width}`);
    }
    out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = get(i * width);
  } else if (dt === DataType.INT64) out = [...t.int64Data];
  else if (dt === DataType.UINT64 || dt === DataType.UINT32) out = [...t.uint64Data];
  else if ([DataType.INT32, DataType.INT16, DataType.UINT16, DataType.INT8, DataType.UINT8, DataType.BOOL].includes(dt as never)) {
    out = Array.from(t.int32Data ?? []);
  } else throw unsupportedType(t, 'a numeric tensor');
  if (out.length !== n) {
    throw invalid(`tensor '${t.name ?? ''}' has ${out.length} values, expected ${n} for dims [${t.dims.join(', ')}]`);
  }
  return out;
}

function unsupportedType(t: TensorProto, expected = 'a floating-point tensor'): EngineError {
  return new EngineError(
    'UNSUPPORTED_MODEL',
    `tensor '${t.name ?? ''}' has element type ${dataTypeName(t.dataType ?? 0)}; expected ${expected}`,
  );
}
