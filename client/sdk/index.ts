// xai-lab client SDK: `import { createXaiClient } from '<repo>/client/sdk/index.ts'`.
export { createXaiClient, isTerminal, TERMINAL_STATUSES, type XaiClient, type XaiClientOptions, type ExplanationWatch, type StudyWatch, type Watch, type Sink } from './client.ts';
export { XaiError, isXaiError, unwrap, type XaiErrorCode, type TransportErrorCode, type SuccessData } from './errors.ts';
export { graphql, type ResultOf, type VariablesOf, type FragmentOf, type TadaDocumentNode, type ApiErrorCode, type ExplanationMethod, type ExplanationStatus, type Role, type AlphaSampling } from './graphql.ts';
export * from './operations.ts';
export * from './study-operations.ts';
export { EXPLANATION_METHODS, type ExplanationMethodInfo } from './methods.ts';
