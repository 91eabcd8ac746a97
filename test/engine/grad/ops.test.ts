// Every backward rule against central finite differences on tiny graphs (input [N, C, H, W]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrFloat, attrInt, attrInts, attrString, floatTensor, int64Tensor, node } from '../../../src/engine/onnx/graph.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { buildGradientModel } from '../../../src/engine/grad/index.ts';
import { checkOp, distinct, opModel, rng, uniform, weights } from './helpers.ts';

const conv = (attrs: ReturnType<typeof attrInts>[], inp = 'x', out = 'y', w = 'w', b?: string) =>
  node('Conv', b ? [inp, w, b] : [inp, w], [out], attrs);
const k3 = attrInts('kernel_shape', [3, 3]);
const pads1 = attrInts('pads', [1, 1, 1, 1]);
const s2 = attrInts('strides', [2, 2]);
/** A bias-free Conv x → y of input shape `xDims`, its weights `w` of shape `wDims` drawn from `r`. */
const checkConv = (r: () => number, attrs: ReturnType<typeof attrInts>[], xDims: number[], wDims: number[]) =>
  checkOp({ nodes: [conv(attrs)], input: { name: 'x', dims: xDims }, output: 'y', initializers: [weights(r, 'w', wDims)] });

test('Conv: plain 3x3 stride 1 with bias (flipped-kernel Conv path)', async () => {
  const r = rng(1);
  await checkOp({
    nodes: [conv([k3, pads1], 'x', 'y', 'w', 'b')],
    input: { name: 'x', dims: [2, 3, 6, 6] },
    output: 'y',
    initializers: [weights(r, 'w', [4, 3, 3, 3]), weights(r, 'b', [4])],
  });
});

test('Conv: stride 2, padding, odd and even sizes (ConvTranspose with output_padding)', async () => {
  for (const hw of [7, 8]) {
    const r = rng(hw);
    await checkConv(r, [k3, pads1, s2], [2, 3, hw, hw], [4, 3, 3, 3]);
  }
});

test('Conv: asymmetric pads, rectangular kernel, stride (2,1), no padding floor-drop', async () => {
  const r = rng(3);
  await checkConv(r, [attrInts('kernel_shape', [3, 2]), attrInts('pads', [0, 1, 2, 0]), attrInts('strides', [3, 1])], [1, 2, 8, 5], [3, 2, 3, 2]);
});

test('Conv: grouped (groups=2) and depthwise stride 2 with padding', async () => {
  const r = rng(4);
  await checkConv(r, [k3, pads1, attrInt('group', 2)], [2, 4, 5, 5], [6, 2, 3, 3]);
  await checkConv(r, [k3, pads1, s2, attrInt('group', 4)], [2, 4, 7, 7], [4, 1, 3, 3]);
  await checkConv(r, [k3, pads1, attrInt('group', 4)], [2, 4, 6, 6], [8, 1, 3, 3]);
});

test('Conv: dilations (stride 1 and 2), 1x1 stride 2, auto_pad SAME_UPPER', async () => {
  const r = rng(5);
  await checkConv(r, [k3, attrInts('pads', [2, 2, 2, 2]), attrInts('dilations', [2, 2])], [1, 2, 7, 7], [3, 2, 3, 3]);
  await checkConv(r, [k3, attrInts('pads', [1, 1, 1, 1]), attrInts('dilations', [2, 2]), s2], [1, 2, 8, 8], [3, 2, 3, 3]);
  await checkConv(r, [attrInts('kernel_shape', [1, 1]), s2], [2, 3, 6, 6], [5, 3, 1, 1]);
  await checkConv(r, [k3, s2, attrString('auto_pad', 'SAME_UPPER')], [1, 2, 6, 6], [3, 2, 3, 3]);
});

test('Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid', async () => {
  const r = rng(6);
  const x = distinct(r, 2 * 3 * 4 * 4, 0.05);
  for (const [op, attrs] of [
    ['Relu', []],
    ['LeakyRelu', [attrFloat('alpha', 0.1)]],
    ['Sigmoid', []],
    ['Tanh', []],
    ['HardSigmoid', [attrFloat('alpha', 0.5), attrFloat('beta', 0.3)]],
  ] as const) {
    await checkOp({ nodes: [node(op, ['x'], ['y'], [...attrs])], input: { name: 'x', dims: [2, 3, 4, 4], data: x.map((v) => v * 2) }, output: 'y' });
  }
});

test('HardSwish (all three pieces)', async () => {
  const r = rng(7);
  const x = distinct(r, 2 * 3 * 4 * 4, 0.1).map((v) => v * 1.2 + 0.013);
  await checkOp({ nodes: [node('HardSwish', ['x'], ['y'])], input: { name: 'x', dims: [2, 3, 4, 4], data: x }, output: 'y' });
});

test('Clip: bounds as inputs (one omitted) and as attributes (opset 6 model)', async () => {
  const r = rng(8);
  const x = distinct(r, 2 * 2 * 5 * 5, 0.07).map((v) => v + 0.011);
  await checkOp({
    nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])],
    input: { name: 'x', dims: [2, 2, 5, 5], data: x },
    output: 'y',
    initializers: [floatTensor('lo', [], [-0.48]), floatTensor('hi', [], [0.64])],
  });
  await checkOp({
    nodes: [node('Clip', ['x', '', 'hi'], ['y'])],
    input: { name: 'x', dims: [2, 2, 5, 5], data: x },
    output: 'y',
    initializers: [floatTensor('hi', [], [0.64])],
  });
  await checkOp({
    nodes: [node('Clip', ['x'], ['y'], [attrFloat('min', -0.48), attrFloat('max', 0.64)])],
    input: { name: 'x', dims: [2, 2, 5, 5], data: x },
    output: 'y',
    opset: 6,
  });
});

test('MaxPool: 2x2/2, overlapping 3x3/2 with pads, ceil_mode', async () => {
  const r = rng(9);
  for (const [dims, attrs] of [
    [[2, 2, 6, 6], [attrInts('kernel_shape', [2, 2]), s2]],
    [[2, 2, 7, 7], [k3, s2, pads1]],
    [[1, 3, 6, 6], [k3, s2, attrInt('ceil_mode', 1)]],
    [[1, 2, 5, 5], [attrInts('kernel_shape', [2, 2]), s2, attrInt('ceil_mode', 1)]],
    [[1, 2, 7, 6], [k3, attrInts('strides', [1, 1]), pads1]],
  ] as [number[], ReturnType<typeof attrInts>[]][]) {
    const n = dims.reduce((a, b) => a * b, 1);
    await checkOp({ nodes: [node('MaxPool', ['x'], ['y'], attrs)], input: { name: 'x', dims, data: distinct(r, n, 0.05) }, output: 'y' });
  }
});

test('AveragePool: count_include_pad 0/1, pads, ceil_mode, overlapping', async () => {
  const r = rng(10);
  for (const [dims, attrs] of [
    [[2, 2, 6, 6], [attrInts('kernel_shape', [2, 2]), s2]],
    [[2, 2, 7, 7], [k3, s2, pads1]],
    [[2, 2, 7, 7], [k3, s2, pads1, attrInt('count_include_pad', 1)]],
    [[1, 2, 6, 6], [k3, s2, attrInt('ceil_mode', 1)]],
    [[1, 2, 5, 5], [k3, s2, attrInts('pads', [1, 1, 0, 0]), attrInt('ceil_mode', 1), attrInt('count_include_pad', 1)]],
    [[1, 2, 6, 5], [k3, s2, pads1, attrInt('ceil_mode', 1), attrInt('count_include_pad', 0)]],
    [[1, 2, 8, 8], [k3, attrInts('strides', [1, 1]), pads1, attrInt('count_include_pad', 0)]],
  ] as [number[], ReturnType<typeof attrInts>[]][]) {
    await checkOp({ nodes: [node('AveragePool', ['x'], ['y'], attrs)], input: { name: 'x', dims }, output: 'y', seed: dims[3] });
  }
});

test('GlobalAveragePool → Flatten → Gemm (transB=1, alpha, beta)', async () => {
  const r = rng(11);
  await checkOp({
    nodes: [
      node('GlobalAveragePool', ['x'], ['p']),
      node('Flatten', ['p'], ['f'], [attrInt('axis', 1)]),
      node('Gemm', ['f', 'w', 'b'], ['y'], [attrInt('transB', 1), attrFloat('alpha', 0.7), attrFloat('beta', 2)]),
    ],
    input: { name: 'x', dims: [2, 4, 3, 3] },
    output: 'y',
    initializers: [weights(r, 'w', [5, 4]), weights(r, 'b', [5])],
  });
});

test('Gemm transA / transB=0, MatMul with a constant, Reshape', async () => {
  const r = rng(12);
  await checkOp({
    nodes: [
      node('Reshape', ['x', 'shape'], ['f']),
      node('Gemm', ['f', 'w'], ['y']),
    ],
    input: { name: 'x', dims: [2, 2, 2, 3] },
    output: 'y',
    initializers: [weights(r, 'w', [12, 5]), int64Tensor('shape', [2], [0, -1])],
  });
  // transA: f is [12, N] after Transpose, Gemm(f, w, transA=1) = fᵀ w.
  await checkOp({
    nodes: [
      node('Flatten', ['x'], ['f']),
      node('Transpose', ['f'], ['ft'], [attrInts('perm', [1, 0])]),
      node('Gemm', ['ft', 'w'], ['y'], [attrInt('transA', 1)]),
    ],
    input: { name: 'x', dims: [2, 2, 2, 3] },
    output: 'y',
    initializers: [weights(r, 'w', [12, 5])],
  });
  await checkOp({
    nodes: [node('MatMul', ['x', 'w'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 5] },
    output: 'y',
    initializers: [weights(r, 'w', [5, 2])],
  });
});

test('MatMul with two variable operands', async () => {
  await checkOp({
    nodes: [node('Transpose', ['x'], ['xt'], [attrInts('perm', [0, 1, 3, 2])]), node('MatMul', ['x', 'xt'], ['y'])],
    input: { name: 'x', dims: [2, 2, 3, 4] },
    output: 'y',
  });
});

test('Add / Mul / Sub / Div broadcasting with [C,1,1] constants and two variable operands', async () => {
  const r = rng(13);
  const c11 = (name: string, lo = -1, hi = 1) => floatTensor(name, [3, 1, 1], uniform(r, 3, lo, hi));
  await checkOp({
    nodes: [node('Add', ['x', 'a'], ['t']), node('Mul', ['t', 'm'], ['u']), node('Sub', ['s', 'u'], ['v']), node('Div', ['v', 'd'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 4] },
    output: 'y',
    initializers: [c11('a'), c11('m'), c11('s'), c11('d', 0.5, 2)],
  });
  // SE-style gating: x * mean(x) over H, W (two variable operands, one broadcast).
  await checkOp({
    nodes: [node('GlobalAveragePool', ['x'], ['g']), node('Sigmoid', ['g'], ['s']), node('Mul', ['x', 's'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 4] },
    output: 'y',
  });
  // Both operands variable, different ranks (batch moved last so samples stay independent);
  // Div by a variable and Sub of two variables.
  await checkOp({
    nodes: [
      node('Transpose', ['x'], ['xt'], [attrInts('perm', [1, 2, 3, 0])]),
      node('ReduceSum', ['xt', 'ax'], ['row'], [attrInt('keepdims', 0)]),
      node('Add', ['xt', 'row'], ['tt']),
      node('Transpose', ['tt'], ['t'], [attrInts('perm', [3, 0, 1, 2])]),
      node('Sigmoid', ['x'], ['sx']),
      node('Add', ['sx', 'one'], ['den']),
      node('Div', ['t', 'den'], ['q']),
      node('Sub', ['q', 'x'], ['y']),
    ],
    input: { name: 'x', dims: [2, 3, 4, 4] },
    output: 'y',
    initializers: [int64Tensor('ax', [1], [0]), floatTensor('one', [], [1])],
    atol: 3e-3,
  });
});

test('Concat, Split (input and attribute form), Slice (steps 1, 2 and -1), Transpose, Pad', async () => {
  const r = rng(14);
  await checkOp({
    nodes: [node('Sigmoid', ['x'], ['s']), node('Concat', ['x', 's', 'x'], ['y'], [attrInt('axis', 1)])],
    input: { name: 'x', dims: [2, 2, 3, 3] },
    output: 'y',
  });
  await checkOp({
    nodes: [
      node('Split', ['x', 'sp'], ['a', 'b', 'c'], [attrInt('axis', 1)]),
      node('Mul', ['a', 'c'], ['ac']),
      node('Concat', ['ac', 'a'], ['y'], [attrInt('axis', 2)]),
    ],
    input: { name: 'x', dims: [2, 5, 3, 3] },
    output: 'y',
    initializers: [int64Tensor('sp', [3], [2, 1, 2])],
  });
  await checkOp({
    nodes: [node('Split', ['x'], ['a', 'b'], [attrInt('axis', 3), attrInts('split', [1, 3])]), node('Tanh', ['b'], ['y'])],
    input: { name: 'x', dims: [2, 2, 3, 4] },
    output: 'y',
    opset: 11,
  });
  await checkOp({
    nodes: [node('Slice', ['x', 'st', 'en', 'ax'], ['y'])],
    input: { name: 'x', dims: [2, 3, 5, 6] },
    output: 'y',
    initializers: [int64Tensor('st', [2], [1, -4]), int64Tensor('en', [2], [4, 9223372036854775807n as unknown as number]), int64Tensor('ax', [2], [2, 3])],
  });
  await checkOp({
    nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'stp'], ['y'])],
    input: { name: 'x', dims: [2, 3, 5, 6] },
    output: 'y',
    initializers: [int64Tensor('st', [2], [0, -1]), int64Tensor('en', [2], [5, -7]), int64Tensor('ax', [2], [2, 3]), int64Tensor('stp', [2], [2, -1])],
  });
  await checkOp({
    nodes: [node('Transpose', ['x'], ['t'], [attrInts('perm', [0, 2, 3, 1])]), node('Mul', ['t', 'w'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 5] },
    output: 'y',
    initializers: [weights(r, 'w', [3])],
  });
  await checkOp({
    nodes: [node('Pad', ['x', 'p'], ['t']), node('Mul', ['t', 't'], ['y'])],
    input: { name: 'x', dims: [2, 2, 3, 3] },
    output: 'y',
    initializers: [int64Tensor('p', [8], [0, 0, 1, 2, 0, 1, 0, 1])],
  });
});

test('Squeeze / Unsqueeze (opset 11 attributes and opset 13 inputs), Flatten', async () => {
  await checkOp({
    nodes: [
      node('GlobalAveragePool', ['x'], ['g']),
      node('Squeeze', ['g'], ['s'], [attrInts('axes', [2, 3])]),
      node('Unsqueeze', ['s'], ['u'], [attrInts('axes', [1])]),
      node('Tanh', ['u'], ['y']),
    ],
    input: { name: 'x', dims: [2, 3, 2, 2] },
    output: 'y',
    opset: 11,
  });
  await checkOp({
    nodes: [
      node('ReduceMean', ['x'], ['g'], [attrInts('axes', [2, 3])]),
      node('Squeeze', ['g', 'ax'], ['s']),
      node('Unsqueeze', ['s', 'ax0'], ['u']),
      node('Flatten', ['u'], ['y'], [attrInt('axis', 2)]),
    ],
    input: { name: 'x', dims: [2, 3, 2, 2] },
    output: 'y',
    initializers: [int64Tensor('ax', [2], [2, 3]), int64Tensor('ax0', [1], [-1])],
  });
});

test('BatchNormalization (inference), Dropout, Identity', async () => {
  const r = rng(15);
  await checkOp({
    nodes: [node('BatchNormalization', ['x', 'sc', 'bi', 'mu', 'var'], ['b'], [attrFloat('epsilon', 1e-3)]), node('Dropout', ['b'], ['d']), node('Identity', ['d'], ['y'])],
    input: { name: 'x', dims: [2, 3, 3, 3] },
    output: 'y',
    initializers: [weights(r, 'sc', [3]), weights(r, 'bi', [3]), weights(r, 'mu', [3]), floatTensor('var', [3], uniform(r, 3, 0.2, 2))],
  });
});

test('Softmax, LogSoftmax (opset 13 axis and opset 11 coerced 2-D), ReduceMean (attribute and opset 18 input form)', async () => {
  await checkOp({
    nodes: [node('Softmax', ['x'], ['y'], [attrInt('axis', 1)])],
    input: { name: 'x', dims: [2, 4, 2, 3] },
    output: 'y',
  });
  await checkOp({
    nodes: [node('Flatten', ['x'], ['f']), node('LogSoftmax', ['f'], ['y'])],
    input: { name: 'x', dims: [2, 3, 2, 2] },
    output: 'y',
  });
  await checkOp({
    nodes: [node('Softmax', ['x'], ['y'], [attrInt('axis', 1)])],
    input: { name: 'x', dims: [2, 3, 2, 2] },
    output: 'y',
    opset: 11,
  });
  await checkOp({
    nodes: [node('ReduceMean', ['x'], ['m'], [attrInts('axes', [1, 3]), attrInt('keepdims', 0)]), node('Tanh', ['m'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 5] },
    output: 'y',
  });
  await checkOp({
    nodes: [node('ReduceMean', ['x', 'ax'], ['m']), node('Mul', ['m', 'x'], ['y'])],
    input: { name: 'x', dims: [2, 3, 4, 5] },
    output: 'y',
    initializers: [int64Tensor('ax', [2], [-2, -1])],
    opset: 18,
  });
});

test('Shape computations (Shape→Gather→Concat→Reshape) are not differentiated', async () => {
  const r = rng(16);
  await checkOp({
    nodes: [
      node('Conv', ['x', 'w'], ['c'], [k3, pads1]),
      node('Shape', ['c'], ['sh']),
      node('Gather', ['sh', 'zero'], ['n'], [attrInt('axis', 0)]),
      node('Unsqueeze', ['n', 'ax0'], ['nu']),
      node('Concat', ['nu', 'minus1'], ['shape'], [attrInt('axis', 0)]),
      node('Reshape', ['c', 'shape'], ['f']),
      node('Cast', ['f'], ['y'], [attrInt('to', 1)]),
    ],
    input: { name: 'x', dims: [2, 2, 3, 3] },
    output: 'y',
    initializers: [weights(r, 'w', [2, 2, 3, 3]), int64Tensor('zero', [], [0]), int64Tensor('ax0', [1], [0]), int64Tensor('minus1', [1], [-1])],
  });
});

test('residual branches: gradients from two uses are summed', async () => {
  const r = rng(17);
  await checkOp({
    nodes: [
      conv([k3, pads1], 'x', 'a', 'w1'),
      node('Tanh', ['a'], ['ta']),
      conv([k3, pads1], 'ta', 'b', 'w2'),
      node('Add', ['b', 'x'], ['s']),
      node('Mul', ['s', 'x'], ['y']),
    ],
    input: { name: 'x', dims: [2, 2, 4, 4] },
    output: 'y',
    initializers: [weights(r, 'w1', [2, 2, 3, 3]), weights(r, 'w2', [2, 2, 3, 3])],
  });
});

test('unsupported operator on the path → UNSUPPORTED_OPERATOR; off the path it is fine', () => {
  const m = opModel({
    nodes: [node('Relu', ['x'], ['r']), node('Mod', ['r', 'k'], ['m'], [attrInt('fmod', 1)], 'the_mod'), node('Add', ['m', 'r'], ['y'])],
    input: { name: 'x', dims: [1, 2, 2, 2] },
    output: 'y',
    initializers: [floatTensor('k', [], [0.3])],
  });
  assert.throws(
    () => buildGradientModel(m, { target: 'x', output: 'y' }),
    (e: unknown) => e instanceof EngineError && e.code === 'UNSUPPORTED_OPERATOR' && /operator Mod \(node 'the_mod'\)/.test(e.message),
  );
  // Target after the unsupported node: only Add is differentiated.
  const g = buildGradientModel(m, { target: 'm', output: 'y' });
  assert.ok(g.graph!.output.some((o) => o.name === 'grad_m'));
});

test('quantized operators → NOT_DIFFERENTIABLE', () => {
  const m = opModel({
    nodes: [
      node('QuantizeLinear', ['x', 'sc', 'zp'], ['q']),
      node('DequantizeLinear', ['q', 'sc', 'zp'], ['y']),
    ],
    input: { name: 'x', dims: [1, 2, 2, 2] },
    output: 'y',
    initializers: [floatTensor('sc', [], [0.1]), { ...int64Tensor('zp', [], [0]), dataType: 2, rawData: new Uint8Array([0]) }],
  });
  assert.throws(
    () => buildGradientModel(m, { target: 'x', output: 'y' }),
    (e: unknown) => e instanceof EngineError && e.code === 'NOT_DIFFERENTIABLE' && /perturbation methods/.test(e.message),
  );
});

test('bad arguments: unknown target, output not depending on target', () => {
  const m = opModel({ nodes: [node('Relu', ['x'], ['a']), node('Sigmoid', ['x'], ['y'])], input: { name: 'x', dims: [1, 1, 2, 2] }, output: 'y' });
  assert.throws(() => buildGradientModel(m, { target: 'nope', output: 'y' }), (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => buildGradientModel(m, { target: 'a', output: 'y' }), (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT');
});

test('symbolic spatial dims: runtime shapes for conv/pool/GAP/concat/slice/broadcast gradients', async () => {
  const r = rng(18);
  const dims = [2, 3, 7, 7];
  const n = dims.reduce((a, b) => a * b, 1);
  await checkOp({
    dynamic: true,
    nodes: [
      conv([k3, s2], 'x', 'c', 'w'),
      node('Tanh', ['c'], ['t']),
      node('MaxPool', ['x'], ['mp'], [attrInts('kernel_shape', [2, 2]), s2]),
      node('AveragePool', ['x'], ['ap'], [attrInts('kernel_shape', [2, 2]), s2, attrInt('count_include_pad', 1), pads1]),
      node('Slice', ['ap', 'st', 'en', 'ax'], ['aps']),
      node('Concat', ['t', 'mp', 'aps'], ['cat'], [attrInt('axis', 1)]),
      node('GlobalAveragePool', ['cat'], ['g']),
      node('Mul', ['cat', 'g'], ['y']),
    ],
    input: { name: 'x', dims, data: distinct(r, n, 0.05) },
    output: 'y',
    initializers: [weights(r, 'w', [4, 3, 3, 3]), int64Tensor('st', [2], [0, 0]), int64Tensor('en', [2], [3, 3]), int64Tensor('ax', [2], [2, 3])],
  });
});

