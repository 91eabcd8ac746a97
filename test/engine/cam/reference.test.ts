// CAM maps against pytorch-grad-cam 1.5.5's on the seven reference photos (../shared/reference, see
// its README): MobileNetV2, model.features[-1], target = top-1, the photo decoded and cropped as
// torchvision does (bit for bit, see test/engine/pil). Eigen-CAM and eigen-smooth take the sign
// numpy.linalg.svd (LAPACK gesdd) gives the first singular vector.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createCamExplainers, firstComponentProjection } from '../../../src/engine/cam/index.ts';
import { pearson } from '../../../src/engine/metrics/correlation.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { SessionCache } from '../../../src/engine/session.ts';
import { fileModel, floatModelPath, request, shared } from './helpers.ts';

const refDir = path.join(shared, 'reference');
const skip = !fs.existsSync(path.join(refDir, 'index.json'))
  ? `needs ${refDir} (the Python reference outputs), which is absent`
  : !fs.existsSync(floatModelPath)
    ? `needs ${floatModelPath}, which is absent`
    : false;

const CASES = [
  ['GRAD_CAM', 'cam_gradcam.npy', false],
  ['GRAD_CAM_PLUS_PLUS', 'cam_gradcampp.npy', false],
  ['XGRAD_CAM', 'cam_xgradcam.npy', false],
  ['HIRES_CAM', 'cam_hirescam.npy', false],
  ['LAYER_CAM', 'cam_layercam.npy', false],
  ['EIGEN_CAM', 'cam_eigencam.npy', false],
  ['GRAD_CAM', 'cam_gradcam_eigensmooth.npy', true],
] as const;

/** The photos that have pytorch-grad-cam maps, with their source files. */
function camPhotos(): { stem: string; file: string }[] {
  if (skip) return [];
  const index = JSON.parse(fs.readFileSync(path.join(refDir, 'index.json'), 'utf8')) as Record<string, { files: string[] }>;
  return Object.entries(index)
    .filter(([, info]) => info.files.includes('cam_eigencam.npy'))
    .map(([name]) => {
      const inImages = path.join(shared, 'images', name);
      return { stem: name.replace(/\.[^.]+$/, ''), file: fs.existsSync(inImages) ? inImages : path.join(refDir, 'photos', name) };
    });
}

const sessions = new SessionCache({ intraOpNumThreads: 1 });
after(() => sessions.close());
const cams = createCamExplainers(engineContext(sessions));

test('every CAM variant: Pearson ≥ 0.99999 against pytorch-grad-cam on all seven photos', { skip }, async () => {
  const photos = camPhotos();
  assert.equal(photos.length, 7);
  const model = await fileModel(floatModelPath, false);
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

// [K, P, kind, seed, index of numpy's largest |projection|, its sign]: numpy 2.4 (OpenBLAS 0.3.31)
// running get_2d_projection on these float32 matrices. gesdd's paths: LQ + divide and conquer
// (1280×49, 2048×64), LQ + QR sweeps (1280×16), QR first (40×100), bidiagonalized directly (40×60).
const NUMPY_SIGNS: readonly (readonly number[])[] = [
  [1280, 49, 0, 1280490, 35, -1],
  [1280, 49, 1, 1280491, 8, -1],
  [1280, 49, 2, 1280492, 27, -1],
  [1280, 49, 0, 1280493, 30, -1],
  [1280, 49, 1, 1280494, 20, -1],
  [1280, 49, 2, 1280495, 18, -1],
  [1280, 49, 0, 1280496, 43, 1],
  [1280, 49, 1, 1280497, 4, -1],
  [1280, 49, 2, 1280498, 23, 1],
  [1280, 49, 0, 1280499, 23, -1],
  [1280, 49, 1, 1280500, 7, 1],
  [1280, 49, 2, 1280501, 27, 1],
  [2048, 64, 0, 2048640, 27, -1],
  [2048, 64, 1, 2048641, 4, -1],
  [2048, 64, 2, 2048642, 32, 1],
  [2048, 64, 0, 2048643, 58, -1],
  [2048, 64, 1, 2048644, 28, -1],
  [2048, 64, 2, 2048645, 24, 1],
  [1280, 16, 0, 1280160, 2, 1],
  [1280, 16, 1, 1280161, 3, 1],
  [1280, 16, 2, 1280162, 4, 1],
  [1280, 16, 0, 1280163, 12, -1],
  [1280, 16, 1, 1280164, 4, 1],
  [1280, 16, 2, 1280165, 9, -1],
  [40, 100, 0, 41000, 32, -1],
  [40, 100, 1, 41001, 18, 1],
  [40, 100, 2, 41002, 0, 1],
  [40, 100, 0, 41003, 4, -1],
  [40, 100, 1, 41004, 24, 1],
  [40, 100, 2, 41005, 33, 1],
  [40, 60, 0, 40600, 38, -1],
  [40, 60, 1, 40601, 59, -1],
  [40, 60, 2, 40602, 30, -1],
  [40, 60, 0, 40603, 7, -1],
  [40, 60, 1, 40604, 27, 1],
  [40, 60, 2, 40605, 6, -1],
  [2, 4, 0, 2040, 2, 1]
];

test('Eigen-CAM projection sign: numpy\'s on 27 of 37 constructed activations (the channel-sum rule alone: 21)', () => {
  const wrong: string[] = [];
  for (const [K, P, kind, seed, at, sign] of NUMPY_SIGNS) {
    const proj = firstComponentProjection(activations(seed, K, P, kind), K, P);
    if (Math.sign(proj[at]) !== sign) wrong.push(`${K}×${P} kind ${kind} seed ${seed}`);
  }
  // The misses are matrices whose sign numpy itself does not keep: LAPACK's dgesdd flips it
  // between the float32- and float64-centred copies of the same data (checked for the 1280×49
  // ones), so no rule reproduces it; 1280×16 (≤ 25 rows) keeps the channel-sum rule, which alone
  // agreed on 21 of 37.
  console.log(`numpy's sign on ${NUMPY_SIGNS.length - wrong.length} of ${NUMPY_SIGNS.length} constructed matrices; missed: ${wrong.join(', ')}`);
  assert.ok(wrong.length <= 10, wrong.join('; '));
});
