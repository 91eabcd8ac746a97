import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../../src/engine/errors.ts';
import { DataType, decodeModel, encodeModel, tensorToFloat32, tensorToNumbers, type ModelProto } from '../../src/engine/onnx/proto.ts';
import {
  attrInt,
  attrInts,
  floatTensor,
  graph,
  int64Tensor,
  model,
  node,
  valueInfo,
} from '../../src/engine/onnx/graph.ts';
import { inspectModel } from '../../src/engine/onnx/inspect.ts';

// ../shared sits next to the repository root (test/engine → ../../..).
const MODELS = new URL('../../../shared/models/', import.meta.url);
const FLOAT_MODEL = fileURLToPath(new URL('mobilenetv2-float.onnx', MODELS));
const INT8_MODEL = fileURLToPath(new URL('mobilenetv2-12-int8.onnx', MODELS));
const skipFloat = existsSync(FLOAT_MODEL) ? false : `../shared/models/mobilenetv2-float.onnx is absent`;
const skipInt8 = existsSync(INT8_MODEL) ? false : `../shared/models/mobilenetv2-12-int8.onnx is absent`;

function isEngineError(code: string) {
  return (e: unknown) => e instanceof EngineError && e.code === code && e.message.length > 10;
}

function randomInput(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

async function run(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

test('MobileNetV2 float: decode → encode → decode round trip runs identically', { skip: skipFloat }, async () => {
  const bytes = new Uint8Array(readFileSync(FLOAT_MODEL));
  const m = decodeModel(bytes);
  const reencoded = encodeModel(m);
  const again = decodeModel(reencoded);
  assert.equal(again.graph!.node.length, m.graph!.node.length);
  assert.equal(again.graph!.initializer.length, m.graph!.initializer.length);
  // Encoding is canonical: a second round trip is byte-identical.
  assert.deepEqual(Buffer.from(encodeModel(again)), Buffer.from(reencoded));
  // raw_data is a zero-copy view into the input.
  const w = m.graph!.initializer.find((t) => t.rawData && t.rawData.length > 1000)!;
  assert.equal(w.rawData!.buffer, bytes.buffer);

  const input = randomInput(2 * 3 * 224 * 224);
  const a = await run(bytes, input, [2, 3, 224, 224]);
  const b = await run(reencoded, input, [2, 3, 224, 224]);
  assert.equal(a.length, 2000);
  assert.deepEqual(b, a);
});

test('inspectModel: MobileNetV2 float', { skip: skipFloat }, () => {
  const info = inspectModel(readFileSync(FLOAT_MODEL));
  assert.deepEqual(info.inputs, [{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 3, 224, 224] }]);
  assert.deepEqual(info.outputs.map((o) => o.name), ['logits']);
  assert.equal(info.quantized, false);
  assert.ok(info.opTypes.includes('Conv') && info.opTypes.includes('Gemm'));
  assert.equal(new Set(info.opTypes).size, info.opTypes.length);
  assert.ok(info.nodeCount > 50);
  assert.ok(info.irVersion >= 7);
  assert.equal(info.opsets.find((o) => o.domain === '')?.version, 13);
});

test('inspectModel: MobileNetV2 int8 is quantized', { skip: skipInt8 }, async () => {
  const bytes = readFileSync(INT8_MODEL);
  const info = inspectModel(bytes);
  assert.equal(info.quantized, true);
  assert.equal(info.inputs[0].name, 'input');
  // The int8 model stores scales in float_data (not raw_data): exercise that path through ORT.
  const input = randomInput(3 * 224 * 224, 7);
  const a = await run(bytes, input, [1, 3, 224, 224]);
  const b = await run(encodeModel(decodeModel(bytes)), input, [1, 3, 224, 224]);
  assert.deepEqual(b, a);
});

test('garbage and truncated input → INVALID_MODEL', { skip: false }, () => {
  assert.throws(() => decodeModel(new Uint8Array(0)), isEngineError('INVALID_MODEL'));
  assert.throws(() => decodeModel(new TextEncoder().encode('hello, this is not a model')), isEngineError('INVALID_MODEL'));
  assert.throws(() => decodeModel(randomBytes(4096, 3)), isEngineError('INVALID_MODEL'));
  // PNG signature + junk
  assert.throws(
    () => decodeModel(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82])),
    isEngineError('INVALID_MODEL'),
  );
  // Many random buffers: always an EngineError, never another exception or a hang.
  for (let seed = 10; seed < 300; seed++) {
    try {
      decodeModel(randomBytes(1 + (seed * 37) % 2000, seed));
    } catch (e) {
      assert.ok(e instanceof EngineError && e.code === 'INVALID_MODEL', String(e));
    }
  }
  const small = encodeModel(tinyModel());
  for (const cut of [1, 5, Math.floor(small.length / 2), small.length - 1]) {
    assert.throws(() => decodeModel(small.subarray(0, cut)), isEngineError('INVALID_MODEL'), `cut at ${cut}`);
  }
});

test('truncated real model → INVALID_MODEL', { skip: skipFloat }, () => {
  const bytes = readFileSync(FLOAT_MODEL);
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.length >> 1)), isEngineError('INVALID_MODEL'));
  assert.throws(() => decodeModel(bytes.subarray(0, 100)), isEngineError('INVALID_MODEL'));
});

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function tinyModel(): ModelProto {
  // y = Relu(Conv(x, W, b)) reshaped with an int64 shape initializer.
  const g = graph({
    name: 'tiny',
    nodes: [
      node('Conv', ['x', 'W', 'b'], ['c'], [attrInts('kernel_shape', [1, 1])], 'conv'),
      node('Relu', ['c'], ['r'], [], 'relu'),
      node('Reshape', ['r', 'shape'], ['y'], [attrInt('allowzero', 0)], 'reshape'),
    ],
    inputs: [valueInfo('x', DataType.FLOAT, ['batch', 2, 2, 2])],
    outputs: [valueInfo('y', DataType.FLOAT, ['batch', 8])],
    initializers: [
      floatTensor('W', [2, 2, 1, 1], [1, -1, 0.5, 2]),
      floatTensor('b', [2], [0.25, -0.5]),
      int64Tensor('shape', [2], [-1, 8]),
    ],
  });
  return model({ graph: g, metadata: { purpose: 'test' } });
}

test('graph helpers build a model onnxruntime runs', async () => {
  const bytes = encodeModel(tinyModel());
  const x = Float32Array.from([1, 2, 3, 4, -1, -2, -3, -4]);
  const y = await run(bytes, x, [1, 2, 2, 2]);
  const expect = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    expect[i] = Math.max(0, x[i] - x[4 + i] + 0.25);
    expect[4 + i] = Math.max(0, 0.5 * x[i] + 2 * x[4 + i] - 0.5);
  }
  assert.deepEqual(Array.from(y), expect);
  const info = inspectModel(bytes);
  assert.deepEqual(info.metadata, { purpose: 'test' });
  assert.deepEqual(info.inputs, [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 2, 2, 2] }]);
  assert.deepEqual(info.opsets, [{ domain: '', version: 17 }]);
});

test('int64 edge values, packed/unpacked fields, unknown fields round-trip', () => {
  const m = tinyModel();
  const n = m.graph!.node[0];
  n.attribute.push(attrInts('big', [-1, 0, 2 ** 40, -(2 ** 40), 9223372036854775807, -9223372036854775808]));
  m.graph!.initializer.push({ ...floatTensor('fd', [3], [0, 0, 0]), rawData: undefined, floatData: Float32Array.from([1.5, -2, 3]) });
  const decoded = decodeModel(encodeModel(m));
  const big = decoded.graph!.node[0].attribute.find((a) => a.name === 'big')!;
  assert.deepEqual(big.ints, [-1, 0, 2 ** 40, -(2 ** 40), 2 ** 63, -(2 ** 63)]);
  // Saturation keeps INT64_MAX exact on the wire: re-encoding is stable.
  assert.deepEqual(Buffer.from(encodeModel(decoded)), Buffer.from(encodeModel(decodeModel(encodeModel(decoded)))));
  const fd = decoded.graph!.initializer.find((t) => t.name === 'fd')!;
  assert.deepEqual(Array.from(tensorToFloat32(fd)), [1.5, -2, 3]);
  assert.deepEqual(Array.from(tensorToFloat32(decoded.graph!.initializer[0])), [1, -1, 0.5, 2]);
  const shape = decoded.graph!.initializer.find((t) => t.name === 'shape')!;
  assert.deepEqual(tensorToNumbers(shape), [-1, 8]);
  assert.deepEqual(tensorToNumbers({ ...shape, rawData: undefined, int64Data: [-1, 8] }), [-1, 8]);
  assert.deepEqual(tensorToNumbers(fd), [1.5, -2, 3]);
  assert.throws(() => tensorToFloat32(shape), isEngineError('UNSUPPORTED_MODEL'));

  // Hand-written bytes: unpacked `ints` (field 8, varint) and an unknown field 99 must survive.
  const attr = [0x0a, 0x01, 0x61, 0x40, 0x03, 0x40, 0x05, 0xa0, 0x01, 0x07]; // name='a', ints 3, 5, type=INTS
  const unknown = [0x98, 0x06, 0x2a]; // field 99 varint 42
  const nodeBytes = [0x22, 0x01, 0x58, 0x2a, attr.length, ...attr, ...unknown]; // op_type='X', attribute
  const graphBytes = [0x0a, nodeBytes.length, ...nodeBytes];
  const modelBytes = new Uint8Array([0x08, 0x08, 0x3a, graphBytes.length, ...graphBytes]);
  const hm = decodeModel(modelBytes);
  assert.deepEqual(hm.graph!.node[0].attribute[0].ints, [3, 5]);
  assert.deepEqual(Array.from(hm.graph!.node[0].$unknown![0]), unknown);
  const back = decodeModel(encodeModel(hm));
  assert.deepEqual(back.graph!.node[0].attribute[0].ints, [3, 5]);
  assert.deepEqual(Array.from(back.graph!.node[0].$unknown![0]), unknown);
});

test('external data → UNSUPPORTED_MODEL', () => {
  const m = tinyModel();
  const w = m.graph!.initializer[0];
  w.rawData = undefined;
  w.dataLocation = 1;
  w.externalData = [{ key: 'location', value: 'weights.bin' }];
  assert.throws(() => decodeModel(encodeModel(m)), isEngineError('UNSUPPORTED_MODEL'));
});
