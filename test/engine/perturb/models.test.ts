// Every perturbation method on the real MobileNetV2 (float and the quantized int8 one) with small budgets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createPerturbExplainers } from '../../../src/engine/perturb/index.ts';
import { fileModel, fileSessions, floatModelPath, int8ModelPath, request } from '../fixtures.ts';
import { imagesDir } from './helpers.ts';

const sessions = fileSessions();
const ex = createPerturbExplainers({ sessions });
const imageFile = path.join(imagesDir, 'cabbage.jpg');

for (const [name, file, quantized] of [
  ['mobilenetv2-float', floatModelPath, false],
  ['mobilenetv2-12-int8', int8ModelPath, true],
] as const) {
  const skip = fs.existsSync(file) && fs.existsSync(imageFile) ? false : `needs ${file} and ${imageFile}, which are absent`;
  test(`${name}: LIME, Kernel SHAP and Partition SHAP run with small budgets`, { skip }, async () => {
    const model = await fileModel(file, quantized);
    const image = fs.readFileSync(imageFile);
    const target = { kind: 'TOP', k: 2 };
    const lime = await ex.explainLime(request(model, image, 'LIME', { target, lime: { numSamples: 100 } }), {});
    const ks = await ex.explainKernelShap(request(model, image, 'KERNEL_SHAP', { target, kernelShap: { nsamples: 100 } }), {});
    const ps = await ex.explainPartitionShap(request(model, image, 'PARTITION_SHAP', { target, partitionShap: { maxEvals: 100 } }), {});
    const top = lime.attributions[0].classIndex;
    for (const r of [lime, ks, ps]) {
      assert.equal(r.attributions.length, 2);
      assert.equal(r.attributions[0].classIndex, top, `${r.method} explains the same top class`);
      assert.ok(r.attributions[0].probability >= r.attributions[1].probability);
      for (const a of r.attributions) {
        assert.equal(a.map.length, 224 * 224);
        assert.ok(a.map.every(Number.isFinite));
        assert.ok(a.map.some((v) => v !== 0), `${r.method}: a non-trivial map`);
      }
    }
    for (const r of [ks, ps]) {
      for (const a of r.attributions) {
        const delta = a.metrics.fx - a.metrics.baseValue;
        assert.ok(Math.abs(a.metrics.efficiencyGap) <= 1e-4 * Math.max(Math.abs(delta), 1e-6), `${r.method} gap ${a.metrics.efficiencyGap} vs ${delta}`);
      }
    }
    assert.ok(lime.segments!.count > 10);
    assert.equal(lime.summary.samplesUsed, 100);
    assert.equal(ps.summary.evaluations, 100);
  });
}
