// One error type for everything that can go wrong in a call: typed `Error` union members returned by
// mutations, GraphQL errors (validation, authentication, limits), HTTP and network failures.
//
// The SDK throws. `unwrap()` turns a mutation result union into its success `data` or throws an
// XaiError carrying the member's `code` and `message`; the convenience methods of the client call it
// for you. Use `isXaiError(e, 'NOT_FOUND')` to branch on a code.
import type { ApiErrorCode } from './graphql.ts';

/** Codes raised by the transport rather than by the schema's `Error` union members. */
export type TransportErrorCode =
  | 'UNAUTHENTICATED' // 401, or the websocket refused the connection (4403)
  | 'FORBIDDEN' // the key's role does not allow the operation
  | 'GRAPHQL_ERROR' // the server answered with `errors` (validation, limits, resolver failure)
  | 'HTTP_ERROR' // a non-GraphQL HTTP failure
  | 'NETWORK_ERROR' // the service could not be reached
  | 'CONNECTION_LOST' // the websocket closed and reconnection attempts were exhausted
  | 'ABORTED'; // the caller stopped watching

export type XaiErrorCode = ApiErrorCode | TransportErrorCode | (string & {});

export class XaiError extends Error {
  override name = 'XaiError';
  readonly code: XaiErrorCode;
  /** The GraphQL type of the error member (`NotFoundError`, …), when it came from a result union. */
  readonly typename?: string;
  /** `InvalidArgumentError.field`: which input was refused. */
  readonly field?: string;
  /** HTTP status, when the error came with one. */
  readonly status?: number;
  /** RATE_LIMITED: seconds to wait before asking again. */
  readonly retryAfterSeconds?: number;

  constructor(code: XaiErrorCode, message: string, extra: { typename?: string; field?: string; status?: number; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.typename = extra.typename;
    this.field = extra.field;
    this.status = extra.status;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

export function isXaiError(e: unknown, code?: XaiErrorCode): e is XaiError {
  return e instanceof XaiError && (code === undefined || e.code === code);
}

type Member = { __typename?: string };
/** The success member's payload of a mutation result union (`XSuccess { data }`). */
export type SuccessData<T> = Extract<T, { data: unknown }> extends { data: infer D } ? D : never;

/**
 * Returns the `data` of a `…Success` member; throws an XaiError for any `Error` member.
 *
 *     const image = unwrap((await xai.mutate(UploadImageMutation, { file })).uploadImage);
 */
export function unwrap<T extends Member>(result: T): SuccessData<T> {
  const r = result as Member & { data?: unknown; code?: string; message?: string; field?: string; retryAfterSeconds?: number };
  if (r && 'data' in r && r.data !== undefined) return r.data as SuccessData<T>;
  if (r && typeof r.code === 'string') {
    throw new XaiError(r.code, r.message ?? r.code, { typename: r.__typename, field: r.field, retryAfterSeconds: r.retryAfterSeconds });
  }
  throw new XaiError('GRAPHQL_ERROR', `unexpected result ${r?.__typename ?? JSON.stringify(r)}: select __typename, the success member and ...on Error`);
}
