// An ONNX file's structure without its weights, read from disk in small pieces: the graph's nodes,
// inputs, outputs and metadata as they are, and every initializer with its name, type and shape but
// none of its data. Inspecting a 500 MB model this way costs kilobytes of memory, where decodeModel
// needs the whole file in memory.
import { open, type FileHandle } from 'node:fs/promises';
import { EngineError } from '../errors.ts';
import { decodeModel, type ModelProto } from './proto.ts';

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
/** TensorProto fields that hold values: float/int32/string/int64/raw/double/uint64 data. */
const TENSOR_DATA = new Set([4, 5, 6, 7, 9, 10, 11]);

const invalid = (message: string) => new EngineError('INVALID_MODEL', `not a valid ONNX model: ${message}`);

/** Positional reads through a small window, so walking thousands of fields costs few system calls. */
class FileReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  async bytes(pos: number, length: number): Promise<Buffer> {
    if (pos + length > this.size) throw invalid(`truncated data: ${length} bytes at byte ${pos} run past the end of the file`);
    if (pos >= this.windowStart && pos + length <= this.windowStart + this.window.length) {
      return this.window.subarray(pos - this.windowStart, pos - this.windowStart + length);
    }
    if (length > 1 << 16) {
      const out = Buffer.alloc(length);
      await this.fh.read(out, 0, length, pos);
      return out;
    }
    this.window = Buffer.alloc(Math.min(1 << 16, this.size - pos));
    this.windowStart = pos;
    await this.fh.read(this.window, 0, this.window.length, pos);
    return this.window.subarray(0, length);
  }

  /** A varint at `pos`: its value and the position after it. */
  async varint(pos: number): Promise<[number, number]> {
    const b = await this.bytes(pos, Math.min(10, this.size - pos));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < b.length; i++) {
      value += (b[i] & 0x7f) * scale;
      if (b[i] < 0x80) return [value, pos + i + 1];
      scale *= 128;
    }
    throw invalid(`bad varint at byte ${pos}`);
  }
}

function varintBytes(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

interface FieldAt {
  no: number;
  wire: number;
  /** The whole field, tag included. */
  start: number;
  /** For length-delimited fields, where the payload starts. */
  payload: number;
  end: number;
}

async function* fields(r: FileReader, start: number, end: number): AsyncGenerator<FieldAt> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = await r.varint(pos);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let payload = afterTag;
    let fieldEnd: number;
    if (wire === 0) fieldEnd = (await r.varint(afterTag))[1];
    else if (wire === 1) fieldEnd = afterTag + 8;
    else if (wire === 5) fieldEnd = afterTag + 4;
    else if (wire === 2) {
      const [len, after] = await r.varint(afterTag);
      payload = after;
      fieldEnd = after + len;
    } else throw invalid(`unsupported wire type ${wire} at byte ${pos}`);
    if (no === 0 || fieldEnd > end) throw invalid(`a field at byte ${pos} runs past its message`);
    yield { no, wire, start: pos, payload, end: fieldEnd };
    pos = fieldEnd;
  }
}

/** The message in [start, end) re-encoded with `rewrite` applied to its fields (null drops a field). */
async function rewriteMessage(
  r: FileReader,
  start: number,
  end: number,
  rewrite: (f: FieldAt) => Promise<Buffer[] | null> | Buffer[] | null,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const f of fields(r, start, end)) {
    const parts = await rewrite(f);
    if (parts) out.push(...parts);
  }
  return out;
}

async function nested(r: FileReader, f: FieldAt, inner: (f: FieldAt) => Promise<Buffer[] | null> | Buffer[] | null): Promise<Buffer[]> {
  if (f.wire !== 2) throw invalid(`field ${f.no} at byte ${f.start} is not a message`);
  const body = await rewriteMessage(r, f.payload, f.end, inner);
  const length = body.reduce((n, b) => n + b.length, 0);
  return [varintBytes(f.no * 8 + 2), varintBytes(length), ...body];
}

const copy = (r: FileReader) => async (f: FieldAt) => [Buffer.from(await r.bytes(f.start, f.end - f.start))];

/** Decodes the model at `path` with every initializer's data left out (see decodeModel for errors). */
export async function readModelStructure(path: string): Promise<ModelProto> {
  const fh = await open(path, 'r');
  try {
    const r = new FileReader(fh, (await fh.stat()).size);
    const keep = copy(r);
    const tensor = (f: FieldAt) => (TENSOR_DATA.has(f.no) ? null : keep(f));
    const graph = (f: FieldAt) => (f.no === GRAPH_INITIALIZER ? nested(r, f, tensor) : keep(f));
    const model = await rewriteMessage(r, 0, r.size, (f) => (f.no === MODEL_GRAPH ? nested(r, f, graph) : keep(f)));
    return decodeModel(Buffer.concat(model));
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw invalid((e as Error).message);
  } finally {
    await fh.close();
  }
}
