import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EngineError } from '../../../src/engine/errors.ts';
import type { Attribution, ExplainResult } from '../../../src/engine/explain/types.ts';
import { cropGeometry } from '../../../src/engine/preprocess.ts';
import { presetSpec } from '../../../src/engine/presets.ts';
import { renderArtifacts } from '../../../src/engine/render/artifacts.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';

// A 60×40 "photo"; the model sees its centered 40×40 crop (Resize(40) keeps it 60×40).
const OW = 60;
const OH = 40;
const N = 40;
const spec = { ...presetSpec('torchvision', { inputName: 'input', outputName: 'logits' }), resizeShorter: N, width: N, height: N };
const geometry = cropGeometry(OW, OH, spec);

async function original(): Promise<Buffer> {
  const raw = Buffer.alloc(OW * OH * 3);
  for (let p = 0; p < OW * OH; p++) raw.set([(p * 7) % 256, (p * 3) % 256, 90], p * 3);
  return sharp(raw, { raw: { width: OW, height: OH, channels: 3 } }).png().toBuffer();
}
const crop = Uint8Array.from({ length: N * N * 3 }, (_, i) => (i * 11) % 256);
const segments = Int32Array.from({ length: N * N }, (_, p) => Math.floor(Math.floor(p / N) / 10) * 4 + Math.floor((p % N) / 10));

function attribution(classIndex: number, signed: boolean, f: (x: number, y: number) => number): Attribution {
  return {
    classIndex,
    label: `class ${classIndex}`,
    probability: 0.5,
    map: Float32Array.from({ length: N * N }, (_, p) => f(p % N, Math.floor(p / N))),
    width: N,
    height: N,
    signed,
    metrics: {},
  };
}

function limeResult(): ExplainResult {
  const w3 = Float64Array.from({ length: 16 }, (_, s) => Math.sin(s + 1));
  const w7 = Float64Array.from({ length: 16 }, (_, s) => Math.cos(s));
  const spread = (w: Float64Array) => (x: number, y: number) => w[segments[y * N + x]];
  return {
    method: 'LIME',
    attributions: [attribution(3, true, spread(w3)), attribution(7, true, spread(w7))],
    geometry,
    segments: { segments, count: 16, weights: [{ classIndex: 3, values: w3 }, { classIndex: 7, values: w7 }] },
    summary: {},
  };
}

test('segment-based result: every artifact, unique stable names, right kinds and sizes', async () => {
  const img = await original();
  const sampleMasks = Array.from({ length: 4 }, (_, k) => Uint8Array.from({ length: 16 }, (_, s) => (s + k) % 2));
  const arts = await renderArtifacts(limeResult(), img, crop, { sampleMasks });
  assert.deepEqual(
    arts.map((a) => `${a.kind} ${a.name}`),
    [
      'HEATMAP heatmap-3.png',
      'OVERLAY overlay-3.png',
      'RAW raw-3.npy',
      'HEATMAP heatmap-7.png',
      'OVERLAY overlay-7.png',
      'RAW raw-7.npy',
      'SEGMENTS segments.png',
      'SEGMENTS segments-mean.png',
      'RAW raw-segments.npy',
      'MASK lime-positive-3.png',
      'MASK lime-both-3.png',
      'MASK lime-positive-7.png',
      'MASK lime-both-7.png',
      'SAMPLES samples.png',
    ],
  );
  assert.equal(new Set(arts.map((a) => a.name)).size, arts.length);
  for (const a of arts) {
    if (a.name.endsWith('.png')) {
      assert.equal(a.mediaType, 'image/png');
      const m = await sharp(a.bytes).metadata();
      assert.deepEqual([m.width, m.height], [a.width, a.height], a.name);
    } else {
      assert.equal(a.mediaType, 'application/x-npy');
      const npy = decodeNpy(a.bytes);
      assert.deepEqual(npy.shape, a.shape);
      assert.deepEqual(a.shape, [a.height, a.width]);
    }
  }
  const overlay = arts.find((a) => a.name === 'overlay-3.png')!;
  assert.deepEqual([overlay.width, overlay.height], [OW, OH]);
  assert.deepEqual(decodeNpy(arts.find((a) => a.name === 'raw-7.npy')!.bytes).data, limeResult().attributions[1].map);
  assert.deepEqual(decodeNpy(arts.find((a) => a.name === 'raw-segments.npy')!.bytes).data, Float32Array.from(segments));
  assert.deepEqual([arts.at(-1)!.width, arts.at(-1)!.height], [2 * N + 2, 2 * N + 2]);

  // Stable: the same input gives the same names and bytes.
  const again = await renderArtifacts(limeResult(), img, crop, { sampleMasks });
  assert.deepEqual(
    again.map((a) => [a.name, a.bytes.length]),
    arts.map((a) => [a.name, a.bytes.length]),
  );
  assert.ok(again.every((a, i) => a.bytes.equals(arts[i].bytes)));
});

test('signed maps of one result share a symmetric scale (shap scales per image row)', async () => {
  const result: ExplainResult = {
    method: 'KERNEL_SHAP',
    attributions: [attribution(1, true, (x) => (x < 20 ? 1 : 0)), attribution(2, true, (x) => (x < 20 ? 2 : 0))],
    geometry,
    summary: {},
  };
  const arts = await renderArtifacts(result, await original(), crop);
  const alpha = async (name: string) => {
    const { data } = await sharp(arts.find((a) => a.name === name)!.bytes).raw().toBuffer({ resolveWithObject: true });
    return data[3];
  };
  assert.ok(Math.abs((await alpha('heatmap-1.png')) - 128) <= 2);
  assert.equal(await alpha('heatmap-2.png'), 255);
});

test('CAM result: three artifacts per class, repeated classes get a suffix, no segment artifacts', async () => {
  const cam = (x: number, y: number) => Math.exp(-((x - 30) ** 2 + (y - 10) ** 2) / 50);
  const result: ExplainResult = {
    method: 'GRAD_CAM',
    attributions: [attribution(5, false, cam), attribution(5, false, cam)],
    geometry,
    summary: {},
  };
  const arts = await renderArtifacts(result, await original(), crop, { colormap: 'jet', opacity: 0.4 });
  assert.deepEqual(
    arts.map((a) => a.name),
    ['heatmap-5.png', 'overlay-5.png', 'raw-5.npy', 'heatmap-5-2.png', 'overlay-5-2.png', 'raw-5-2.npy'],
  );
  assert.ok(arts.every((a) => a.classIndex === 5));
  await assert.rejects(
    renderArtifacts(result, await original(), crop, { sampleMasks: [new Uint8Array(16)] }),
    (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
  await assert.rejects(
    renderArtifacts(result, await original(), crop.subarray(3)),
    (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
});
