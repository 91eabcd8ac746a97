// Runs backward models: one cached onnxruntime session per (model bytes, output, target).
import { createHash } from 'node:crypto';
import ort from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto.ts';
import { SessionCache, type Session } from '../session.ts';
import { buildGradientModel, gradientName } from './build.ts';
import { defaultTargetLayer } from './layers.ts';

export interface GradientResult {
  /** Class scores [N, C] (the model's output, row-major). */
  logits: Float32Array;
  logitsShape: number[];
  /** Target activation A, e.g. [N, K, h, w]. */
  activation: Float32Array;
  activationShape: number[];
  /** d(Σ seed ⊙ logits)/dA, same shape as the activation. */
  gradient: Float32Array;
}

export interface GradientRunnerOptions {
  /** Tensor to differentiate with respect to; default: defaultTargetLayer(model). Use the input name for input gradients. */
  target?: string;
  /** Class-score output; default: the first graph output. */
  output?: string;
  /** Session cache to share (default: one process-wide cache for gradient models). */
  cache?: SessionCache;
  /** Cache key of the model bytes (e.g. a stored file hash); default: SHA-256 of the bytes. */
  modelKey?: string;
}

let sharedCache: SessionCache | undefined;
function defaultCache(): SessionCache {
  sharedCache ??= new SessionCache();
  return sharedCache;
}

export function modelHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One-hot seeds: row n selects class classes[n] (weight 1). */
export function oneHotSeed(classes: readonly number[], numClasses: number): Float32Array {
  const s = new Float32Array(classes.length * numClasses);
  classes.forEach((c, n) => {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new EngineError('INVALID_ARGUMENT', `class index ${c} out of range [0, ${numClasses})`);
    s[n * numClasses + c] = 1;
  });
  return s;
}

export class GradientRunner {
  private constructor(
    private readonly session: Session,
    readonly inputName: string,
    /** Classes per image (the seed's second dimension) when the model declares it. */
    readonly numClasses: number | null,
    readonly output: string,
    readonly target: string,
    readonly key: string,
  ) {}

  /**
   * Builds (or reuses) the backward model for `target` and loads it. Concurrent creates for the
   * same model and target share one build and one session.
   */
  static async create(model: Uint8Array | { bytes: Uint8Array; model?: ModelProto }, opts: GradientRunnerOptions = {}): Promise<GradientRunner> {
    const bytes = model instanceof Uint8Array ? model : model.bytes;
    let decoded: ModelProto | undefined = model instanceof Uint8Array ? undefined : model.model;
    const getModel = () => (decoded ??= decodeModel(bytes));
    const m = getModel();
    const g = m.graph!;
    const inits = new Set(g.initializer.map((t) => t.name));
    const inputName = g.input.find((v) => !inits.has(v.name))?.name;
    if (!inputName) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no input');
    const output = opts.output ?? g.output[0]?.name;
    if (!output) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no outputs');
    const target = opts.target ?? defaultTargetLayer(m, { output });
    if (!target) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no 4-D activation to explain');
    const key = `grad:${opts.modelKey ?? modelHash(bytes)}:${output}:${target}`;
    const cache = opts.cache ?? defaultCache();
    const session = await cache.get(key, () => encodeModel(buildGradientModel(getModel(), { target, output })));
    const seedMeta = session.inputMetadata.find((v) => v.name === 'seed');
    const c = seedMeta && seedMeta.isTensor ? seedMeta.shape[1] : undefined;
    return new GradientRunner(session, inputName, typeof c === 'number' ? c : null, output, target, key);
  }

  /**
   * One forward + backward pass. `input` is [N, ...] (e.g. [N, 3, H, W]); `seed` is [N, C] and
   * weights the class scores: a one-hot row per image gives that class's gradient.
   */
  async run(input: Float32Array, dims: readonly number[], seed: Float32Array): Promise<GradientResult> {
    const n = dims.reduce((p, q) => p * q, 1);
    if (input.length !== n) throw new EngineError('INVALID_ARGUMENT', `input has ${input.length} values, dims [${dims.join(', ')}] need ${n}`);
    const batch = dims[0];
    if (seed.length % batch !== 0) throw new EngineError('INVALID_ARGUMENT', `seed length ${seed.length} is not a multiple of the batch size ${batch}`);
    if (this.numClasses !== null && seed.length !== batch * this.numClasses) {
      throw new EngineError('INVALID_ARGUMENT', `seed must be [${batch}, ${this.numClasses}] (${batch * this.numClasses} values), got ${seed.length}`);
    }
    const feeds = {
      [this.inputName]: new ort.Tensor('float32', input, dims),
      seed: new ort.Tensor('float32', seed, [batch, seed.length / batch]),
    };
    const res = await this.session.run(feeds);
    const logits = res[this.output];
    const act = res[this.target];
    const grad = res[gradientName(this.target)];
    if (logits.data.length !== seed.length) {
      throw new EngineError('INVALID_ARGUMENT', `seed has ${seed.length / batch} classes per image, the model outputs ${logits.data.length / batch}`);
    }
    return {
      logits: logits.data as Float32Array,
      logitsShape: [...logits.dims],
      activation: act.data as Float32Array,
      activationShape: [...act.dims],
      gradient: grad.data as Float32Array,
    };
  }
}
