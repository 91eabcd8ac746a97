// Plain data types shared by the engine and its callers. No GraphQL, no Prisma here.

export type Layout = 'NCHW' | 'NHWC';
export type ChannelOrder = 'RGB' | 'BGR';
export type OutputKind = 'LOGITS' | 'PROBABILITIES';

/** How raw pixels become the model's input tensor. */
export interface InputSpec {
  /** Name of the image input in the ONNX graph. */
  inputName: string;
  /** Name of the class-score output in the ONNX graph. */
  outputName: string;
  layout: Layout;
  channelOrder: ChannelOrder;
  /** Resize so the shorter side equals this, keeping aspect ratio (bilinear). */
  resizeShorter: number;
  /** Then center-crop to width × height. */
  width: number;
  height: number;
  /** value = (pixel * scale - mean[c]) / std[c]; pixel in 0..255. */
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
}

export type ProgressCallback = (p: Progress) => void;

/** Options every long engine operation accepts. */
export interface RunControl {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}
