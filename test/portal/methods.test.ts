// The portal's method list and colour legend follow the engine's method registry (through the SDK's
// generated list): display names, groups, parameter blocks, and which maps are signed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { legendKeys, METHODS, METHOD_INFO } from '../../client/portal/src/methods.ts';
import { METHOD_REGISTRY, type Method } from '../../src/engine/methods.ts';

const registry = Object.keys(METHOD_REGISTRY) as Method[];

test('the portal offers every method of the registry, in its order, with its name and parameter block', () => {
  assert.deepEqual(
    METHODS.map((m) => m.method),
    registry,
  );
  for (const m of registry) {
    const info = METHOD_INFO.get(m)!;
    assert.equal(info.label, METHOD_REGISTRY[m].displayName, m);
    assert.equal(info.family, METHOD_REGISTRY[m].parameters, m);
    assert.equal(info.signed, METHOD_REGISTRY[m].signed, m);
  }
});

test('the legend shows the diverging key exactly for the methods the registry marks signed', () => {
  for (const m of registry) {
    const keys = legendKeys([m]);
    const signed = METHOD_REGISTRY[m].signed;
    // LIME draws superpixels (its own key), never a diverging heatmap.
    assert.equal(keys.signed, signed && m !== 'LIME', m);
    assert.equal(keys.unsigned, !signed, m);
    assert.equal(keys.lime, m === 'LIME', m);
  }
  // SmoothGrad averages signed gradients: the engine draws it with the diverging colormap.
  assert.deepEqual(legendKeys(['SMOOTH_GRAD']), { signed: true, unsigned: false, lime: false });
});
