// What the CAM and gradient explainers build from a model file besides its forward session: the
// decoded graph, its facts, backward models (GradientRunner, full or head-only) and "activation
// models" (the forward graph with the target layer as an extra float output). One store per
// engine context, owned by whoever made the context — no module-level state.
import fs from 'node:fs/promises';
import { EngineError } from '../errors.ts';
import { GradientRunner, tailModel } from '../grad/index.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto.ts';
import { withFloatOutput } from '../onnx/quantized.ts';
import type { Session, SessionCache } from '../session.ts';
import { computeFacts, type ModelFacts } from './model-facts.ts';
import type { ModelHandle } from './types.ts';

export interface ActivationModel {
  session: Session;
  inputName: string;
  outputName: string;
  /** Float tensor fetched as the activation (the dequantized copy for int8 layers). */
  activation: string;
  layer: string;
}

interface Decoded {
  key: string;
  bytes: Uint8Array;
  model: ModelProto;
}

/** A promise memo that forgets failures (the next call retries). */
function remember<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    const mine = make();
    map.set(key, mine);
    mine.catch(() => {
      if (map.get(key) === mine) map.delete(key);
    });
    p = mine;
  }
  return p;
}

export class ModelStore {
  /** One decoded model kept between the facts and the session builds of the same request. */
  private last: Decoded | null = null;
  private readonly facts = new Map<string, Promise<ModelFacts>>();
  private readonly runners = new Map<string, Promise<GradientRunner>>();
  private readonly tails = new Map<string, Promise<GradientRunner | null>>();
  /** Activation tensor names by session key (set when the session is built). */
  private readonly activations = new Map<string, string>();

  constructor(private readonly sessions: SessionCache) {}

  async decoded(model: ModelHandle): Promise<Decoded> {
    if (this.last?.key === model.key) return this.last;
    const bytes = new Uint8Array(await fs.readFile(model.path));
    this.last = { key: model.key, bytes, model: decodeModel(bytes) };
    return this.last;
  }

  /** Drops the decoded model kept for reuse (tests and benchmarks with large models). */
  releaseDecoded(): void {
    this.last = null;
  }

  modelFacts(model: ModelHandle): Promise<ModelFacts> {
    return remember(this.facts, model.key, async () => computeFacts(model, (await this.decoded(model)).model));
  }

  /**
   * A backward model of `model` for `target` (a layer, or the input name for input gradients),
   * its session kept in the session cache. Quantized models fail with NOT_DIFFERENTIABLE.
   */
  gradientRunner(model: ModelHandle, target: string, facts: ModelFacts): Promise<GradientRunner> {
    const key = `grad:${model.key}:${facts.outputName}:${target}`;
    // A session evicted from the shared cache must be rebuilt.
    if (!this.sessions.has(key)) this.runners.delete(key);
    return remember(this.runners, key, async () =>
      GradientRunner.create(await this.decoded(model), { target, output: facts.outputName, cache: this.sessions, modelKey: model.key }),
    );
  }

  /** A backward model of the tail layer → output (see tailModel), or null when the tail is not self-contained. */
  async tailRunner(model: ModelHandle, layer: string, facts: ModelFacts, dims: readonly number[]): Promise<GradientRunner | null> {
    const key = `${model.key}:${layer}`;
    const known = this.tails.get(key);
    if (known) {
      const r = await known.catch(() => null);
      if (r && !this.sessions.has(r.key)) this.tails.delete(key);
    }
    return remember(this.tails, key, async () => {
      const tail = tailModel((await this.decoded(model)).model, layer, facts.outputName, dims);
      if (!tail) return null;
      try {
        return await GradientRunner.create({ bytes: new Uint8Array(0), model: tail }, { target: layer, output: facts.outputName, cache: this.sessions, modelKey: `${model.key}#tail` });
      } catch (err) {
        // An operator without a backward rule in the head: let the full backward model report it.
        if (err instanceof EngineError && err.code === 'UNSUPPORTED_OPERATOR') return null;
        throw err;
      }
    });
  }

  /** The forward model with `layer` as an extra float output (see withFloatOutput). */
  async activationModel(model: ModelHandle, layer: string, facts: ModelFacts): Promise<ActivationModel> {
    const key = `act:${model.key}:${layer}`;
    const exposed = async () => withFloatOutput((await this.decoded(model)).model, layer);
    const session = await this.sessions.get(key, async () => {
      const { model: m, activation } = await exposed();
      this.activations.set(key, activation);
      return encodeModel(m);
    });
    let activation = this.activations.get(key);
    if (activation === undefined) this.activations.set(key, (activation = (await exposed()).activation));
    return { session, inputName: facts.inputName, outputName: facts.outputName, activation, layer };
  }
}
