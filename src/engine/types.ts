// Plain data types shared by the engine and its callers. No GraphQL, no Prisma here.

export type Layout = 'NCHW' | 'NHWC';
export type ChannelOrder = 'RGB' | 'BGR';
export type OutputKind = 'LOGITS' | 'PROBABILITIES';
/**
 * CENTER_CROP: the shorter side is resized to resizeShorter (aspect ratio kept), then the center
 * width × height is cut out (torchvision's Resize → CenterCrop). STRETCH: resized straight to
 * width × height, aspect ratio not kept (Keras' load_img(target_size=…)).
 */
export type ResizeMode = 'CENTER_CROP' | 'STRETCH';
/** Pillow's resampling filter (BILINEAR with its antialiasing when shrinking). */
export type Interpolation = 'BILINEAR' | 'NEAREST';
/** IGNORE: an embedded ICC profile is ignored, as PIL does. CONVERT_TO_SRGB: the pixels are converted from it to sRGB. */
export type ColorProfilePolicy = 'IGNORE' | 'CONVERT_TO_SRGB';
/** IGNORE: the stored pixels, as PIL reads them. APPLY: the EXIF orientation is applied first, as photo viewers show it. */
export type OrientationPolicy = 'IGNORE' | 'APPLY';

/** How an image file is decoded into RGB pixels: PIL's Image.open(f).convert('RGB') with both IGNORE. */
export interface DecodePolicy {
  colorProfile: ColorProfilePolicy;
  orientation: OrientationPolicy;
}

/** How raw pixels become the model's input tensor. */
export interface InputSpec extends DecodePolicy {
  /** Name of the image input in the ONNX graph. */
  inputName: string;
  /** Name of the class-score output in the ONNX graph. */
  outputName: string;
  layout: Layout;
  channelOrder: ChannelOrder;
  resizeMode: ResizeMode;
  /** CENTER_CROP: the shorter side's length after resizing; null for STRETCH. */
  resizeShorter: number | null;
  interpolation: Interpolation;
  /** The model input's size: the crop (CENTER_CROP) or the whole resized image (STRETCH). */
  width: number;
  height: number;
  /** value = (pixel * scale - mean[c]) / std[c]; pixel in 0..255, each step in float32 (pixel / (1/scale), as ToTensor's /255). */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export type PresetName = 'torchvision' | 'inception' | 'inception-tf' | 'identity';

export interface ClassLabel {
  index: number;
  label: string;
  /** WordNet synset id such as n01440764, when known. */
  synset: string | null;
}

export interface ClassScore extends ClassLabel {
  probability: number;
  /** Null when the model outputs probabilities, not logits. */
  logit: number | null;
}

/** Progress reported by long engine operations through a callback. */
export interface Progress {
  stage: string;
  done: number;
  total: number;
  /** Adaptive LIME / Kernel SHAP: the top-k stability at the last check (total is then the expected stopping point). */
  stability?: number;
}

export type ProgressCallback = (p: Progress) => void;

/** Options every long engine operation accepts. */
export interface RunControl {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}
