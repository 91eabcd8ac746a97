// Partition SHAP against shap 0.42.1 on the seven reference photos (../shared/reference, see its
// README): `shap.Explainer(f, shap.maskers.Image('blur(128,128)', (224,224,3)))(crop[None].astype(float64),
// max_evals=500, batch_size=50, outputs=shap.Explanation.argsort.flip[:1])`, f = MobileNetV2's softmax.
// The engine is given the reference's own 224×224 crop (as a lossless PNG, with a spec whose resize
// leaves it untouched), so only the explainer is compared. Our map is the channel sum, so the
// reference's 224×224×3 values are summed over channels too. Measured (ONNX Runtime vs PyTorch,
// both float32): max |Δ| 1.0e-6 to 2.5e-6 of the range, base values within 3.4e-6 relative; the
// traversal expands the same nodes, so what is left is the two runtimes' float32 rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { perturbExplainer } from '../../../src/engine/perturb/index.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';
import { mbv2Path, referencePhotos, refDir, referenceSkip as skip } from '../../support/reference.ts';
import { fileModel, fileSessions, request } from '../fixtures.ts';

const FILES = ['shap_partition_me500_values.npy', 'shap_partition_me500_base.npy'];

function partitionStems(): string[] {
  return referencePhotos((info) => FILES.every((f) => info.files.includes(f))).map((p) => p.stem);
}

const npy = (stem: string, file: string) => decodeNpy(fs.readFileSync(path.join(refDir, stem, file)));

const sessions = fileSessions({ intraOpNumThreads: 1 });
const explain = perturbExplainer({ sessions }, 'PARTITION_SHAP');

test('Partition SHAP, blur(128,128), 500 evaluations, batch 50, top-1 probability: shap\'s values within 1e-5 of their range and its base value, on all seven photos', { skip }, async () => {
  const stems = partitionStems();
  assert.equal(stems.length, 7);
  const base = await fileModel(mbv2Path, false);
  // The reference crop is 224×224 already: a shorter side of 224 makes the resize and crop the identity.
  const model = { ...base, key: `${base.key}:224`, spec: { ...base.spec, resizeShorter: 224 } };
  const far: string[] = [];
  const lines: string[] = [];
  for (const stem of stems) {
    const crop = npy(stem, 'input_224_uint8.npy');
    const [H, W, C] = crop.shape;
    const png = await sharp(Buffer.from(crop.data as Uint8Array), { raw: { width: W, height: H, channels: C as 3 } }).png().toBuffer();
    const ref = npy(stem, 'shap_partition_me500_values.npy').data;
    const refBase = npy(stem, 'shap_partition_me500_base.npy').data[0];
    const refMap = new Float64Array(H * W);
    for (let i = 0; i < H * W; i++) for (let c = 0; c < C; c++) refMap[i] += ref[i * C + c];
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of refMap) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];

    const res = await explain(request(model, png, 'PARTITION_SHAP', { target: { kind: 'TOP', k: 1 }, partitionShap: { maxEvals: 500, batchSize: 50, masker: { kind: 'BLUR', kernel: 128 } } }, 0), {});
    assert.ok(Buffer.from(res.view!.crop).equals(Buffer.from(crop.data as Uint8Array)), `${stem}: the engine's crop is not the reference's`);
    // shap spends max_evals exactly: f(masked), f(x) and 498 in the traversal (9 batches of 50, one of 48).
    assert.equal(res.summary!.evaluations, 500, stem);
    const a = res.attributions[0];
    assert.deepEqual([a.height, a.width], [H, W]);
    let diff = 0;
    for (let i = 0; i < H * W; i++) diff = Math.max(diff, Math.abs(a.map[i] - refMap[i]));
    const rel = diff / (hi - lo);
    const baseDiff = Math.abs(a.metrics!.baseValue - refBase);
    lines.push(`${stem}: class ${a.classIndex}, max |Δ| ${diff.toExponential(2)} = ${rel.toExponential(2)} of the range ${(hi - lo).toExponential(2)}, base ${a.metrics!.baseValue} vs ${refBase} (|Δ| ${baseDiff.toExponential(2)})`);
    if (!(rel <= 1e-5)) far.push(`${stem}: max |Δ| ${rel.toExponential(2)} of the range`);
    if (!(baseDiff <= 1e-5 * Math.abs(refBase))) far.push(`${stem}: base value ${a.metrics!.baseValue} vs shap's ${refBase}`);
  }
  console.log(`Partition SHAP vs shap 0.42.1:\n  ${lines.join('\n  ')}`);
  assert.deepEqual(far, []);
});
