// Expected failures as GraphQL types: every mutation returns `Success | <these>` unions.
import { AppError, ConflictError, ForbiddenError, RateLimitedError, InvalidArgumentError, InvalidImageError, InvalidModelError, NotFoundError, StorageUnavailableError, UnsupportedMethodError } from '../../errors.js';
import { builder } from '../builder.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  values: [
    'NOT_FOUND',
    'INVALID_ARGUMENT',
    'INVALID_IMAGE',
    'IMAGE_TOO_LARGE',
    'UPLOAD_TOO_LARGE',
    'INVALID_MODEL',
    'UNSUPPORTED_MODEL',
    'INVALID_LABELS',
    'LABELS_MISMATCH',
    'PATH_NOT_ALLOWED',
    'CONFLICT',
    'NOT_DIFFERENTIABLE',
    'UNSUPPORTED_OPERATOR',
    'STORAGE_UNAVAILABLE',
    'FORBIDDEN',
    'RATE_LIMITED',
  ] as const,
});

export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  description: 'An expected failure: the request was understood but cannot be carried out as given',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ id: t.exposeString('id'), typename: t.exposeString('typename') }),
});
builder.objectType(InvalidArgumentError, {
  name: 'InvalidArgumentError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString('field') }),
});
builder.objectType(InvalidImageError, { name: 'InvalidImageError', interfaces: [ErrorInterface], fields: () => ({}) });
builder.objectType(InvalidModelError, { name: 'InvalidModelError', interfaces: [ErrorInterface], fields: () => ({}) });
builder.objectType(ConflictError, { name: 'ConflictError', interfaces: [ErrorInterface], fields: () => ({}) });
builder.objectType(StorageUnavailableError, {
  name: 'StorageUnavailableError',
  description: 'The artifact store could not be used; nothing was stored and the request can be retried',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});
builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'Only the creator of the record or an admin may change it',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});
builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: "A per-key quota is used up (XAI_QUOTA_*); HTTP responses also carry Retry-After",
  interfaces: [ErrorInterface],
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});
builder.objectType(UnsupportedMethodError, { name: 'UnsupportedMethodError', interfaces: [ErrorInterface], fields: () => ({}) });

export const COMMON_ERRORS = [NotFoundError, InvalidArgumentError];
export const IMAGE_ERRORS = [InvalidImageError, InvalidArgumentError, StorageUnavailableError];
export const MODEL_ERRORS = [InvalidModelError, InvalidArgumentError, ConflictError, StorageUnavailableError];
export const PREDICT_ERRORS = [NotFoundError, InvalidArgumentError, StorageUnavailableError];
export const EXPLAIN_ERRORS = [NotFoundError, InvalidArgumentError, UnsupportedMethodError, RateLimitedError, ForbiddenError];
/** Changing an explanation: only its creator or an admin may. */
export const OWNED_ERRORS = [NotFoundError, InvalidArgumentError, ForbiddenError];
export const RETRY_ERRORS = [...OWNED_ERRORS, RateLimitedError];
export const STUDY_ERRORS = EXPLAIN_ERRORS;
