// Input-spec presets and inference of an InputSpec from ONNX input/output metadata.
import { EngineError } from './errors.ts';
import { PIL_DECODE } from './pil/decode.ts';
import type { ChannelOrder, ColorProfilePolicy, DecodePolicy, InputSpec, Interpolation, Layout, OrientationPolicy, PresetName } from './types.ts';

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

interface Preset {
  /** Input size used when the model's H/W are dynamic. */
  defaultSize: number;
  /** CENTER_CROP with resizeShorter = round(cropSize × resizeRatio); null: STRETCH to the input size. */
  resizeRatio: number | null;
  interpolation: Interpolation;
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/**
 * Each preset is its reference pipeline on PIL's pixels (Image.open(f).convert('RGB')):
 * - torchvision: Resize(256) → CenterCrop(224) with PIL's BILINEAR, /255, ImageNet mean/std (ResNet, VGG, MobileNet…).
 * - inception: torchvision's Inception_V3 weights transforms: Resize(342) → CenterCrop(299), ImageNet mean/std.
 * - inception-tf: Keras' load_img(target_size=(299, 299)), i.e. PIL NEAREST straight to 299×299 (the
 *   aspect ratio is not kept, nothing is cropped), then x/127.5 − 1 ∈ [−1, 1].
 * - identity: shorter side to the input size with BILINEAR, center crop, /255, no normalization.
 */
export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  torchvision: { defaultSize: 224, resizeRatio: 256 / 224, interpolation: 'BILINEAR', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  inception: { defaultSize: 299, resizeRatio: 342 / 299, interpolation: 'BILINEAR', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  'inception-tf': { defaultSize: 299, resizeRatio: null, interpolation: 'NEAREST', scale: 2 / 255, mean: [1, 1, 1], std: [1, 1, 1] },
  identity: { defaultSize: 224, resizeRatio: 1, interpolation: 'BILINEAR', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
};

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

export interface PresetSpecOptions {
  inputName: string;
  outputName: string;
  width?: number;
  height?: number;
  layout?: Layout;
  channelOrder?: ChannelOrder;
  /** Decoding; PIL's (both IGNORE) by default. */
  colorProfile?: ColorProfilePolicy;
  orientation?: OrientationPolicy;
}

/** Builds a full InputSpec from a preset for a given input size (default: the preset's own). */
export function presetSpec(name: PresetName, o: PresetSpecOptions): InputSpec {
  const p = PRESETS[name];
  const width = o.width ?? p.defaultSize;
  const height = o.height ?? p.defaultSize;
  return {
    inputName: o.inputName,
    outputName: o.outputName,
    layout: o.layout ?? 'NCHW',
    channelOrder: o.channelOrder ?? 'RGB',
    colorProfile: o.colorProfile ?? PIL_DECODE.colorProfile,
    orientation: o.orientation ?? PIL_DECODE.orientation,
    resizeMode: p.resizeRatio === null ? 'STRETCH' : 'CENTER_CROP',
    // The larger crop side drives the resize so the crop always fits inside the resized image.
    resizeShorter: p.resizeRatio === null ? null : Math.round(Math.max(width, height) * p.resizeRatio),
    interpolation: p.interpolation,
    width,
    height,
    scale: p.scale,
    mean: [...p.mean],
    std: [...p.std],
  };
}

const CHOICES = {
  resizeMode: ['CENTER_CROP', 'STRETCH'],
  interpolation: ['BILINEAR', 'NEAREST'],
  colorProfile: ['IGNORE', 'CONVERT_TO_SRGB'],
  orientation: ['IGNORE', 'APPLY'],
} as const;

/** Throws INVALID_ARGUMENT when a (possibly user-supplied) spec cannot be applied. */
export function validateInputSpec(spec: InputSpec): void {
  const bad = (m: string) => new EngineError('INVALID_ARGUMENT', `invalid input spec: ${m}`);
  const size = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4096;
  for (const k of ['width', 'height'] as const) if (!size(spec[k])) throw bad(`${k} must be an integer in 1..4096`);
  for (const [k, allowed] of Object.entries(CHOICES)) {
    const v = spec[k as keyof typeof CHOICES];
    if (!(allowed as readonly string[]).includes(v)) throw bad(`${k} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  }
  if (spec.resizeMode === 'STRETCH' && spec.resizeShorter !== null) throw bad('resizeShorter must be null when resizeMode is STRETCH');
  if (spec.resizeMode === 'CENTER_CROP') {
    if (!size(spec.resizeShorter)) throw bad('resizeShorter must be an integer in 1..4096');
    if ((spec.resizeShorter as number) < Math.max(spec.width, spec.height)) {
      throw bad(`resizeShorter (${spec.resizeShorter}) is smaller than the crop ${spec.width}×${spec.height}`);
    }
  }
  if (!Number.isFinite(spec.scale) || spec.scale === 0) throw bad('scale must be a non-zero number');
  if (spec.mean.length !== 3 || spec.std.length !== 3) throw bad('mean and std need 3 values');
  if (spec.std.some((s) => !Number.isFinite(s) || s === 0)) throw bad('std values must be non-zero');
  if (spec.mean.some((m) => !Number.isFinite(m))) throw bad('mean values must be finite');
}

export type Dim = number | string;

export interface ModelIOMeta {
  inputName: string;
  shape: readonly Dim[];
  outputName: string;
  outputShape: readonly Dim[];
  /** ORT tensor type of the input, e.g. 'float32'; checked when given. */
  inputType?: string;
}

export interface InferredInput {
  spec: InputSpec;
  preset: PresetName;
  /** Number of classes, or null when the output's class dimension is dynamic/unknown. */
  numClasses: number | null;
  /** The batch dimension when it is fixed (e.g. 1), else null (any batch size). */
  fixedBatch: number | null;
}

/** A fixed positive dimension, or null for symbolic/unknown ones ('batch', -1, 0). */
function fixed(d: Dim | undefined): number | null {
  return typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : null;
}

const fmt = (shape: readonly Dim[]) => `[${shape.join(',')}]`;

export function inferInputSpec(meta: ModelIOMeta, preset?: PresetName, decode: Partial<DecodePolicy> = {}): InferredInput {
  const { shape } = meta;
  if (meta.inputType !== undefined && meta.inputType !== 'float32') {
    throw new EngineError('UNSUPPORTED_MODEL', `the image input '${meta.inputName}' is ${meta.inputType}; only float32 inputs are supported`);
  }
  let layout: Layout;
  let h: Dim;
  let w: Dim;
  if (shape.length === 4 && fixed(shape[1]) === 3) {
    layout = 'NCHW';
    [, , h, w] = shape;
  } else if (shape.length === 4 && fixed(shape[3]) === 3) {
    layout = 'NHWC';
    [, h, w] = shape;
  } else {
    throw new EngineError(
      'UNSUPPORTED_MODEL',
      `no image-like input: expected rank-4 [N,3,H,W] or [N,H,W,3], got '${meta.inputName}' ${fmt(shape)}`,
      { shape: [...shape] },
    );
  }
  const fh = fixed(h);
  const fw = fixed(w);
  const chosen: PresetName = preset ?? ((fh ?? fw) === 299 ? 'inception' : 'torchvision');
  const size = PRESETS[chosen].defaultSize;
  const spec = presetSpec(chosen, {
    inputName: meta.inputName,
    outputName: meta.outputName,
    width: fw ?? size,
    height: fh ?? size,
    layout,
    ...decode,
  });
  return { spec, preset: chosen, numClasses: classCount(meta.outputName, meta.outputShape), fixedBatch: fixed(shape[0]) };
}

/** Output must be [N,C] or [N,C,1,1]; an unknown (empty) shape is accepted with C unknown. */
function classCount(name: string, s: readonly Dim[]): number | null {
  if (s.length === 0) return null;
  if (s.length === 2) return fixed(s[1]);
  if (s.length === 4 && s[2] === 1 && s[3] === 1) return fixed(s[1]);
  throw new EngineError(
    'UNSUPPORTED_MODEL',
    `the output '${name}' is ${fmt(s)}; a classifier output must be [N,C] or [N,C,1,1]`,
    { shape: [...s] },
  );
}
