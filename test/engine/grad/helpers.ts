// Finite-difference harness for gradient tests: builds tiny ONNX graphs, their backward models,
// and compares analytic gradients with central differences computed in one batched ORT run.
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DataType, encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto.ts';
import { floatTensor, graph, model, valueInfo } from '../../../src/engine/onnx/graph.ts';
import { buildGradientModel, gradientName } from '../../../src/engine/grad/index.ts';
import { mulberry32 } from '../../../src/engine/random.ts';

/** Deterministic PRNG. */
export const rng = mulberry32;

export function uniform(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Distinct values spaced at least `gap` apart (no ties for MaxPool / no kinks near zero). */
export function distinct(r: () => number, n: number, gap = 0.05): Float32Array {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const mid = Math.floor(n / 2);
  // Half-integer multiples of the gap: no value sits at 0.
  return Float32Array.from(perm, (p) => (p - mid + 0.5) * gap);
}

/** Weights as a constant initializer. */
export function weights(r: () => number, name: string, dims: number[], scale = 1): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  return floatTensor(name, dims, uniform(r, n, -scale, scale));
}

export interface OpCase {
  nodes: NodeProto[];
  /** Image-like input; first dim is the batch (kept symbolic in the model). */
  input: { name: string; dims: number[]; data?: Float32Array };
  output: string;
  initializers?: TensorProto[];
  opset?: number;
  /** Output rank/shape is discovered by a forward run. */
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  /** Declare every dim but the channels symbolic, exercising the runtime-shape fallbacks. */
  dynamic?: boolean;
  /** Extra graph inputs besides `input` are not supported; everything else is initializers. */
}

export function opModel(c: OpCase): ModelProto {
  const inShape: (number | string)[] = c.dynamic
    ? c.input.dims.map((d, i) => (i === 1 ? d : `d${i}`))
    : ['N', ...c.input.dims.slice(1)];
  const g = graph({
    name: 'case',
    nodes: c.nodes,
    inputs: [valueInfo(c.input.name, DataType.FLOAT, inShape)],
    outputs: [{ name: c.output }],
    initializers: c.initializers ?? [],
  });
  return model({ graph: g, opset: c.opset ?? 17, irVersion: 8 });
}

const sessions = new WeakMap<ModelProto, Promise<ort.InferenceSession>>();
export async function session(m: ModelProto | Uint8Array): Promise<ort.InferenceSession> {
  if (m instanceof Uint8Array) return ort.InferenceSession.create(m, { graphOptimizationLevel: 'all' });
  let s = sessions.get(m);
  if (!s) {
    s = ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'all' });
    sessions.set(m, s);
  }
  return s;
}

export interface GradCheck {
  analytic: Float32Array;
  numeric: Float64Array;
  maxAbsErr: number;
  maxRef: number;
}

/**
 * Analytic d(Σ seed·out)/d(input) from the backward model vs central differences. The batch
 * dimension is used to evaluate every ±eps perturbation in one run (ops act per sample).
 */
export async function checkOp(c: OpCase): Promise<GradCheck> {
  const r = rng(c.seed ?? 1);
  const eps = c.eps ?? 1e-2;
  const dims = c.input.dims;
  const x = c.input.data ?? uniform(r, dims.reduce((a, b) => a * b, 1));
  const fwd = opModel(c);
  const gm = buildGradientModel(fwd, { target: c.input.name, output: c.output });
  const fs = await session(fwd);
  const gs = await session(encodeModel(gm));

  const xt = new ort.Tensor('float32', x, dims);
  const base = await fs.run({ [c.input.name]: xt });
  const out = base[c.output];
  const seed = uniform(r, out.data.length);
  const res = await gs.run({ [c.input.name]: xt, seed: new ort.Tensor('float32', seed, out.dims) });
  assert.deepEqual(Array.from(res[c.output].data as Float32Array), Array.from(out.data as Float32Array), 'forward output unchanged');
  assert.deepEqual(Array.from(res[c.input.name].data as Float32Array), Array.from(x), 'activation output is the input');
  const analytic = res[gradientName(c.input.name)].data as Float32Array;
  assert.equal(analytic.length, x.length);

  const N = dims[0];
  const per = x.length / N;
  const outPer = out.data.length / N;
  const batch = new Float32Array(2 * x.length * per);
  for (let j = 0; j < x.length; j++) {
    const n = Math.floor(j / per);
    const k = j % per;
    for (const [s, sign] of [[0, 1], [1, -1]] as const) {
      const row = (2 * j + s) * per;
      batch.set(x.subarray(n * per, (n + 1) * per), row);
      batch[row + k] += sign * eps;
    }
  }
  const pert = await fs.run({ [c.input.name]: new ort.Tensor('float32', batch, [2 * x.length, ...dims.slice(1)]) });
  const po = pert[c.output].data as Float32Array;
  const numeric = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const n = Math.floor(j / per);
    let fp = 0;
    let fm = 0;
    for (let o = 0; o < outPer; o++) {
      fp += seed[n * outPer + o] * po[2 * j * outPer + o];
      fm += seed[n * outPer + o] * po[(2 * j + 1) * outPer + o];
    }
    // The perturbation of x[j] by ±eps in float32 is not exactly eps: use the actual step.
    const step = Math.fround(x[j] + eps) - Math.fround(x[j] - eps);
    numeric[j] = (fp - fm) / step;
  }
  let maxAbsErr = 0;
  let maxRef = 0;
  for (let j = 0; j < x.length; j++) {
    maxAbsErr = Math.max(maxAbsErr, Math.abs(analytic[j] - numeric[j]));
    maxRef = Math.max(maxRef, Math.abs(numeric[j]));
  }
  const rtol = c.rtol ?? 1e-2;
  const atol = c.atol ?? 1e-3;
  const bad: string[] = [];
  for (let j = 0; j < x.length && bad.length < 8; j++) {
    if (Math.abs(analytic[j] - numeric[j]) > atol + rtol * Math.max(maxRef, 1e-6)) bad.push(`[${j}] analytic ${analytic[j]} numeric ${numeric[j]}`);
  }
  assert.ok(maxRef > 0 || analytic.every((v) => v === 0), 'gradient is not identically zero');
  assert.equal(bad.length, 0, `gradient mismatch (max |err| ${maxAbsErr}, max |ref| ${maxRef}):\n${bad.join('\n')}`);
  return { analytic, numeric, maxAbsErr, maxRef };
}

export { gradientName };

/**
 * ⟨grad, v⟩, the directional derivative the reverse-mode gradient predicts, and the scale errors are
 * measured against: max(|⟨g, v⟩|, |g|·rms(v)), the typical size of a directional derivative along a
 * random direction (a tiny ⟨g, v⟩ by cancellation would otherwise inflate the relative error).
 */
export function gradientAlong(grad: ArrayLike<number>, v: ArrayLike<number>): { value: number; scale: number } {
  let value = 0;
  let gg = 0;
  let vv = 0;
  for (let i = 0; i < v.length; i++) {
    value += grad[i] * v[i];
    gg += grad[i] * grad[i];
    vv += v[i] * v[i];
  }
  return { value, scale: Math.max(Math.abs(value), Math.sqrt(gg) * Math.sqrt(vv / v.length), 1e-30) };
}

/** Gaussian-ish noise (sum of uniforms). */
export function noise(r: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (r() + r() + r() - 1.5) * 2 * scale);
}

/**
 * Directional derivative check: (f(a + h·v) − f(a − h·v)) / 2h against ⟨grad, v⟩, where
 * f(a) = Σ seed ⊙ out(a), for a single sample `a` ([1, ...]). Networks with ReLU/ReLU6/MaxPool
 * are only piecewise smooth, so a step can cross kinks; with several step sizes the best
 * agreement is reported (a wrong rule disagrees at every step size). The error is relative to
 * gradientAlong's scale.
 */
export async function directional(
  fwd: ort.InferenceSession,
  inputName: string,
  outputName: string,
  a: Float32Array,
  dims: readonly number[],
  grad: Float32Array,
  seed: Float32Array,
  v: Float32Array,
  steps: number | number[],
): Promise<{ numeric: number; analytic: number; relErr: number; h: number }> {
  const hs = Array.isArray(steps) ? steps : [steps];
  const batch = new Float32Array(2 * hs.length * a.length);
  hs.forEach((h, k) => {
    const p = 2 * k * a.length;
    for (let i = 0; i < a.length; i++) {
      batch[p + i] = a[i] + h * v[i];
      batch[p + a.length + i] = a[i] - h * v[i];
    }
  });
  const res = await fwd.run({ [inputName]: new ort.Tensor('float32', batch, [2 * hs.length, ...dims.slice(1)]) });
  const out = res[outputName].data as Float32Array;
  const c = seed.length;
  const { value: analytic, scale } = gradientAlong(grad, v);
  let best = { numeric: NaN, analytic, relErr: Infinity, h: NaN };
  hs.forEach((h, k) => {
    let fp = 0;
    let fm = 0;
    for (let j = 0; j < c; j++) {
      fp += seed[j] * out[2 * k * c + j];
      fm += seed[j] * out[(2 * k + 1) * c + j];
    }
    const numeric = (fp - fm) / (2 * h);
    const relErr = Math.abs(numeric - analytic) / scale;
    if (relErr < best.relErr) best = { numeric, analytic, relErr, h };
  });
  return best;
}
