// One error class for the engine so callers can map `code` to typed API errors.

export type EngineErrorCode =
  | 'INVALID_IMAGE' // not decodable as an image, or corrupt
  | 'IMAGE_TOO_LARGE' // pixel count over the configured limit (decompression bombs)
  | 'INVALID_MODEL' // not a parseable ONNX file
  | 'UNSUPPORTED_MODEL' // ONNX, but not an image classifier we can drive
  | 'INVALID_LABELS' // label file unreadable
  | 'LABELS_MISMATCH' // label count differs from the number of outputs
  | 'UNSUPPORTED_OPERATOR' // gradient methods: an operator without a backward rule
  | 'NOT_DIFFERENTIABLE' // gradient methods on quantized models
  | 'INVALID_ARGUMENT'
  | 'NOT_IMPLEMENTED' // a method whose explainer is not in this build
  | 'ABORTED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('ABORTED', 'the operation was cancelled');
}
