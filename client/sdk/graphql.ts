// The typed `graphql()` template for xai-lab. Types come from `graphql-env.d.ts`, which gql.tada
// generates from `client/schema.graphql` (`npm run client:codegen`); nothing is generated at run time.
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Fragments are not masked: every document's result type contains the fields of the fragments it
  // spreads, which is what a small SDK's callers expect.
  disableMasking: true;
  scalars: {
    ID: string;
    DateTime: string;
    JSON: unknown;
    File: Blob;
  };
}>();

export type { FragmentOf, ResultOf, VariablesOf, TadaDocumentNode } from 'gql.tada';

/** Codes of the schema's `ErrorCode` enum (typed `Error` union members). */
export type ApiErrorCode = introspection['types']['ErrorCode']['enumValues'];
export type ExplanationMethod = introspection['types']['ExplanationMethod']['enumValues'];
export type ExplanationStatus = introspection['types']['ExplanationStatus']['enumValues'];
export type Role = introspection['types']['Role']['enumValues'];
export type AlphaSampling = introspection['types']['AlphaSampling']['enumValues'];
