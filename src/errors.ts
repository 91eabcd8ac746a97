// Expected failures of the service. The GraphQL schema exposes each class as a typed union member.
import { EngineError } from './engine/errors.js';

export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'INVALID_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'UPLOAD_TOO_LARGE'
  | 'INVALID_MODEL'
  | 'UNSUPPORTED_MODEL'
  | 'INVALID_LABELS'
  | 'LABELS_MISMATCH'
  | 'PATH_NOT_ALLOWED'
  | 'CONFLICT'
  | 'NOT_DIFFERENTIABLE'
  | 'UNSUPPORTED_OPERATOR'
  | 'STORAGE_UNAVAILABLE'
  | 'FORBIDDEN'
  | 'RATE_LIMITED';

/** A caller's value quoted in a message, cut to its first 40 characters (messages never echo megabytes). */
export function preview(raw: string): string {
  return raw.length > 40 ? `"${raw.slice(0, 40)}…" (${raw.length} characters)` : JSON.stringify(raw);
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(
    readonly typename: string,
    readonly id: string,
  ) {
    super('NOT_FOUND', `${typename} ${id} does not exist`);
  }
}

export class InvalidArgumentError extends AppError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('INVALID_ARGUMENT', message);
  }
}

export class InvalidImageError extends AppError {}
export class InvalidModelError extends AppError {}
export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}
/** The artifact store (e.g. an S3 bucket) failed; nothing was stored, and the request can be retried. */
export class StorageUnavailableError extends AppError {
  constructor(message: string) {
    super('STORAGE_UNAVAILABLE', message);
  }
}
/** The caller's key may not change this record (it belongs to someone else). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}
/** A per-key quota is used up; the request may be repeated after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message);
  }
}
/** The method cannot run on this model (e.g. gradients of a quantized model). */
export class UnsupportedMethodError extends AppError {}

const IMAGE_CODES = new Set(['INVALID_IMAGE', 'IMAGE_TOO_LARGE']);
const MODEL_CODES = new Set(['INVALID_MODEL', 'UNSUPPORTED_MODEL', 'INVALID_LABELS', 'LABELS_MISMATCH']);
const METHOD_CODES = new Set(['NOT_DIFFERENTIABLE', 'UNSUPPORTED_OPERATOR']);

/** Maps an engine failure onto the API's typed errors; anything else is rethrown as unexpected. */
export function fromEngineError(err: unknown, field = 'input'): never {
  if (err instanceof EngineError) {
    const code = err.code as ErrorCode;
    if (IMAGE_CODES.has(code)) throw new InvalidImageError(code, err.message);
    if (MODEL_CODES.has(code)) throw new InvalidModelError(code, err.message);
    if (METHOD_CODES.has(code)) throw new UnsupportedMethodError(code, err.message);
    if (code === 'INVALID_ARGUMENT') throw new InvalidArgumentError(field, err.message);
  }
  throw err;
}
