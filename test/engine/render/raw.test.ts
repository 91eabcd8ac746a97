import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../../src/engine/errors.ts';
import { decodeNpy, encodeNpy } from '../../../src/engine/render/raw.ts';

test('header: magic, version 1.0, numpy dict, data aligned to 64 bytes', () => {
  const buf = encodeNpy(Float32Array.from([-1, -0.5, 0, 0.5, 1, 1.5]), [2, 3]);
  assert.deepEqual([...buf.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY\x01\x00
  const hlen = buf.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0);
  const header = buf.toString('latin1', 10, 10 + hlen);
  assert.ok(header.endsWith('\n'));
  // Exactly what numpy.save writes (numpy ≥ 1.23 adds 21 − len(repr(shape[0])) spare spaces).
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  assert.equal(header, dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n');
  assert.equal(buf.length, 128 + 6 * 4);
  assert.equal(buf.readFloatLE(128 + 4), -0.5);
});

test('round trip keeps values, shape and dtype', () => {
  const data = Float32Array.from({ length: 224 * 224 }, (_, i) => Math.sin(i) * 1e3);
  const npy = decodeNpy(encodeNpy(data, [224, 224]));
  assert.deepEqual(npy.shape, [224, 224]);
  assert.equal(npy.descr, '<f4');
  assert.equal(npy.fortranOrder, false);
  assert.deepEqual(npy.version, [1, 0]);
  assert.ok(npy.data instanceof Float32Array);
  assert.deepEqual(npy.data, data);
  // 0-d and 1-d shapes use Python's tuple repr.
  assert.deepEqual(decodeNpy(encodeNpy(Float32Array.of(7), [])).shape, []);
  const one = encodeNpy(Float32Array.of(1, 2, 3), [3]);
  assert.ok(one.toString('latin1', 10, 80).includes("'shape': (3,), }"));
  assert.equal((10 + one.readUInt16LE(8)) % 64, 0);
});

test('rejects a shape that does not match the data, and non-npy input', () => {
  const bad = (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => encodeNpy(new Float32Array(6), [4, 2]), bad);
  assert.throws(() => encodeNpy(new Float32Array(6), [2, -3]), bad);
  assert.throws(() => decodeNpy(Buffer.from('not numpy at all')), bad);
  const truncated = encodeNpy(new Float32Array(6), [2, 3]).subarray(0, 140);
  assert.throws(() => decodeNpy(truncated), bad);
});

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

test('numpy loads it and writes the same bytes', { skip: hasNumpy ? false : 'python3 with numpy is not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
  try {
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);
    const file = path.join(dir, 'a.npy');
    fs.writeFileSync(file, encodeNpy(data, [3, 4]));
    const script = [
      'import numpy as np, io, sys',
      'a = np.load(sys.argv[1])',
      'b = io.BytesIO(); np.save(b, (np.arange(12, dtype=np.float32) / 4 - 1).reshape(3, 4))',
      "print(a.dtype, a.shape, float(a[2, 3]), b.getvalue() == open(sys.argv[1], 'rb').read())",
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'float32 (3, 4) 1.75 True');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
