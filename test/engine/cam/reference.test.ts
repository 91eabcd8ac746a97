// CAM maps against pytorch-grad-cam 1.5.5's on the seven reference photos (../shared/reference, see
// its README): MobileNetV2, model.features[-1], target = top-1, the photo decoded and cropped as
// torchvision does (bit for bit, see test/engine/pil). Eigen-CAM and eigen-smooth take the sign
// numpy.linalg.svd (LAPACK gesdd) gives the first singular vector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createCamExplainers, firstComponentProjection } from '../../../src/engine/cam/index.ts';
import { pearson } from '../../../src/engine/metrics/correlation.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { refDir, referenceSkip as skip } from '../../support/reference.ts';
import { fileSessions, referenceCase, request } from '../fixtures.ts';

const CASES = [
  ['GRAD_CAM', 'cam_gradcam.npy', false],
  ['GRAD_CAM_PLUS_PLUS', 'cam_gradcampp.npy', false],
  ['XGRAD_CAM', 'cam_xgradcam.npy', false],
  ['HIRES_CAM', 'cam_hirescam.npy', false],
  ['LAYER_CAM', 'cam_layercam.npy', false],
  ['EIGEN_CAM', 'cam_eigencam.npy', false],
  ['GRAD_CAM', 'cam_gradcam_eigensmooth.npy', true],
] as const;

const cams = createCamExplainers(engineContext(fileSessions({ intraOpNumThreads: 1 })));

test('every CAM variant: Pearson ≥ 0.99999 against pytorch-grad-cam on all seven photos', { skip }, async () => {
  const { photos, model } = await referenceCase('cam_eigencam.npy');
  const low: string[] = [];
  let worst = 1;
  for (const p of photos) {
    const image = fs.readFileSync(p.file);
    for (const [method, file, eigenSmooth] of CASES) {
      const ref = decodeNpy(fs.readFileSync(path.join(refDir, p.stem, file)));
      const res = await cams[method]!(request(model, image, method, { cam: { eigenSmooth } }), {});
      const a = res.attributions[0];
      assert.deepEqual([a.height, a.width], ref.shape, `${p.stem} ${file}`);
      const r = pearson(a.map, ref.data)!;
      worst = Math.min(worst, r);
      if (!(r >= 0.99999)) low.push(`${p.stem} ${file}: ${r}`);
    }
  }
  console.log(`CAM maps vs pytorch-grad-cam, 7 photos × ${CASES.length} variants: lowest Pearson ${worst}`);
  assert.deepEqual(low, []);
});

/** A 32-bit LCG (the numpy side ran the same recurrence in Python), uniform in [0, 1). */
function lcg(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

/** K×P activations of three kinds: centred noise; ReLU'd and scaled per channel; ReLU'd with a per-pixel offset (one dominant component). */
function activations(seed: number, K: number, P: number, kind: number): Float32Array {
  const u = lcg(seed, K * P + K + P);
  const X = new Float32Array(K * P);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < P; i++) {
      let v = u[k * P + i] - 0.5;
      if (kind === 1) v = Math.max(v, 0) * u[K * P + k];
      if (kind === 2) v = Math.max(v + 0.6 * (u[K * P + K + i] - 0.5), 0);
      X[k * P + i] = v;
    }
  }
  return X;
}

// numpy 2.4 (OpenBLAS 0.3.31) running get_2d_projection on float32 K×P matrices: for the i-th matrix
// of a size, seed firstSeed + i and kind i % 3, the index of numpy's largest |projection| and its
// sign. gesdd's paths: LQ + divide and conquer (1280×49, 2048×64), LQ + QR sweeps (1280×16), QR first
// (40×100), bidiagonalized directly (40×60).
const NUMPY_SIGNS: readonly { K: number; P: number; firstSeed: number; peaks: readonly (readonly [number, number])[] }[] = [
  { K: 1280, P: 49, firstSeed: 1280490, peaks: [[35, -1], [8, -1], [27, -1], [30, -1], [20, -1], [18, -1], [43, 1], [4, -1], [23, 1], [23, -1], [7, 1], [27, 1]] },
  { K: 2048, P: 64, firstSeed: 2048640, peaks: [[27, -1], [4, -1], [32, 1], [58, -1], [28, -1], [24, 1]] },
  { K: 1280, P: 16, firstSeed: 1280160, peaks: [[2, 1], [3, 1], [4, 1], [12, -1], [4, 1], [9, -1]] },
  { K: 40, P: 100, firstSeed: 41000, peaks: [[32, -1], [18, 1], [0, 1], [4, -1], [24, 1], [33, 1]] },
  { K: 40, P: 60, firstSeed: 40600, peaks: [[38, -1], [59, -1], [30, -1], [7, -1], [27, 1], [6, -1]] },
  { K: 2, P: 4, firstSeed: 2040, peaks: [[2, 1]] },
];

test('Eigen-CAM projection sign: numpy\'s on 27 of 37 constructed activations (the channel-sum rule alone: 21)', () => {
  const wrong: string[] = [];
  const cases = NUMPY_SIGNS.flatMap(({ K, P, firstSeed, peaks }) => peaks.map(([at, sign], i) => ({ K, P, kind: i % 3, seed: firstSeed + i, at, sign })));
  for (const { K, P, kind, seed, at, sign } of cases) {
    const proj = firstComponentProjection(activations(seed, K, P, kind), K, P);
    if (Math.sign(proj[at]) !== sign) wrong.push(`${K}×${P} kind ${kind} seed ${seed}`);
  }
  // The misses are matrices whose sign numpy itself does not keep: LAPACK's dgesdd flips it
  // between the float32- and float64-centred copies of the same data (checked for the 1280×49
  // ones), so no rule reproduces it; 1280×16 (≤ 25 rows) keeps the channel-sum rule, which alone
  // agreed on 21 of 37.
  console.log(`numpy's sign on ${cases.length - wrong.length} of ${cases.length} constructed matrices; missed: ${wrong.join(', ')}`);
  assert.ok(wrong.length <= 10, wrong.join('; '));
});
