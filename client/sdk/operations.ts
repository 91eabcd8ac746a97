// Typed documents for every operation the portal and the CLI use. Each mutation selects `__typename`
// and the `Error` interface so `unwrap()` (errors.ts) can turn error members into a thrown XaiError.
import { graphql, type ResultOf } from './graphql.ts';

// ---------------------------------------------------------------------------------------------
// Fragments

export const ErrorFields = graphql(`
  fragment ErrorFields on Error {
    __typename
    code
    message
    ... on InvalidArgumentError { field }
    ... on NotFoundError { id typename }
    ... on RateLimitedError { retryAfterSeconds }
  }
`);

export const ImageFields = graphql(`
  fragment ImageFields on Image {
    id
    url
    width
    height
    format
    byteSize
    sha256
    originalName
    fileNameSynset
    createdAt
  }
`);

export const ModelFields = graphql(`
  fragment ModelFields on Model {
    id
    name
    version
    description
    builtin
    quantized
    numClasses
    outputKind
    byteSize
    sha256
    createdAt
    input { name layout width height resizeMode resizeShorter interpolation colorProfile orientation channelOrder scale mean std }
  }
`);

export const ClassScoreFields = graphql(`
  fragment ClassScoreFields on ClassScore {
    index
    label
    synset
    probability
    logit
  }
`);

export const PredictionFields = graphql(
  `
  fragment PredictionFields on Prediction {
    id
    topK
    latencyMs
    createdAt
    top1 { ...ClassScoreFields }
    classes { ...ClassScoreFields }
    image { id }
    model { id name version }
  }
`,
  [ClassScoreFields],
);

/** What a live view needs: status and progress, sent with every subscription event. */
export const ExplanationProgressFields = graphql(`
  fragment ExplanationProgressFields on Explanation {
    id
    status
    progress
    stage
    samplesDone
    samplesTotal
    etaSeconds
    stability
    attempts
    error { code message }
  }
`);

export const ExplanationFields = graphql(
  `
  fragment ExplanationFields on Explanation {
    ...ExplanationProgressFields
    method
    priority
    study { id name }
    createdBy
    seed
    targetClasses
    parameters
    result
    caption
    createdAt
    startedAt
    finishedAt
    durationMs
    artifacts { name kind mediaType url width height byteSize shape }
    image { id url width height originalName }
    model { id name version }
  }
`,
  [ExplanationProgressFields],
);

// ---------------------------------------------------------------------------------------------
// Queries

export const ViewerQuery = graphql(`
  query Viewer { viewer { id name role open } }
`);

export const ImagesQuery = graphql(
  `
  query Images($first: Int, $after: String, $filter: ImageFilter) {
    images(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ...ImageFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [ImageFields],
);

export const ImageQuery = graphql(
  `
  query Image($id: ID!) { image(id: $id) { ...ImageFields } }
`,
  [ImageFields],
);

export const ModelsQuery = graphql(
  `
  query Models($first: Int, $after: String, $filter: ModelFilter) {
    models(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ...ModelFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [ModelFields],
);

export const ModelByNameQuery = graphql(
  `
  query ModelByName($name: String!, $version: String) {
    modelByName(name: $name, version: $version) { ...ModelFields }
  }
`,
  [ModelFields],
);

export const ModelLabelsQuery = graphql(`
  query ModelLabels($id: ID!, $limit: Int, $offset: Int) {
    model(id: $id) { id labels(limit: $limit, offset: $offset) { index label synset } }
  }
`);

/** Candidate `parameters.cam.targetLayer` values of a model, in graph order. */
export const ModelLayersQuery = graphql(`
  query ModelLayers($id: ID!) {
    model(id: $id) { id layers { name nodeName opType shape isDefault } }
  }
`);

export const ExplanationQuery = graphql(
  `
  query Explanation($id: ID!) { explanation(id: $id) { ...ExplanationFields } }
`,
  [ExplanationFields],
);

export const ExplanationsQuery = graphql(
  `
  query Explanations($first: Int, $after: String, $filter: ExplanationFilter) {
    explanations(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ...ExplanationFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [ExplanationFields],
);

// ---------------------------------------------------------------------------------------------
// Mutations

export const UploadImageMutation = graphql(
  `
  mutation UploadImage($file: File!) {
    uploadImage(file: $file) {
      __typename
      ... on UploadImageSuccess { data { ...ImageFields } }
      ...ErrorFields
    }
  }
`,
  [ImageFields, ErrorFields],
);

export const PredictMutation = graphql(
  `
  mutation Predict($input: PredictInput!) {
    predict(input: $input) {
      __typename
      ... on PredictSuccess { data { ...PredictionFields } }
      ...ErrorFields
    }
  }
`,
  [PredictionFields, ErrorFields],
);

export const RequestExplanationMutation = graphql(
  `
  mutation RequestExplanation($input: RequestExplanationInput!) {
    requestExplanation(input: $input) {
      __typename
      ... on RequestExplanationSuccess { data { ...ExplanationFields } }
      ...ErrorFields
    }
  }
`,
  [ExplanationFields, ErrorFields],
);

/** Deletes a finished or cancelled explanation (its creator or an admin); resolves with its id. */
export const DeleteExplanationMutation = graphql(
  `
  mutation DeleteExplanation($id: ID!) {
    deleteExplanation(id: $id) {
      __typename
      ... on DeleteExplanationSuccess { data }
      ...ErrorFields
    }
  }
`,
  [ErrorFields],
);

export const CancelExplanationMutation = graphql(
  `
  mutation CancelExplanation($id: ID!) {
    cancelExplanation(id: $id) {
      __typename
      ... on CancelExplanationSuccess { data { ...ExplanationFields } }
      ...ErrorFields
    }
  }
`,
  [ExplanationFields, ErrorFields],
);

export const RetryExplanationMutation = graphql(
  `
  mutation RetryExplanation($id: ID!) {
    retryExplanation(id: $id) {
      __typename
      ... on RetryExplanationSuccess { data { ...ExplanationFields } }
      ...ErrorFields
    }
  }
`,
  [ExplanationFields, ErrorFields],
);

// ---------------------------------------------------------------------------------------------
// Subscriptions

/** The first event is the current state (also after a reconnect); the last one is terminal. */
export const ExplanationUpdatedSubscription = graphql(
  `
  subscription ExplanationUpdated($id: ID!) {
    explanationUpdated(id: $id) { ...ExplanationFields }
  }
`,
  [ExplanationFields],
);

export const ExplanationsUpdatedSubscription = graphql(
  `
  subscription ExplanationsUpdated($model: ID, $status: [ExplanationStatus!], $study: ID) {
    explanationsUpdated(model: $model, status: $status, study: $study) { ...ExplanationProgressFields method study { id name } }
  }
`,
  [ExplanationProgressFields],
);

// ---------------------------------------------------------------------------------------------
// Result types the portal can name

export type Viewer = ResultOf<typeof ViewerQuery>['viewer'];
export type ImageData = ResultOf<typeof ImageFields>;
export type ModelData = ResultOf<typeof ModelFields>;
export type PredictionData = ResultOf<typeof PredictionFields>;
export type ClassScore = ResultOf<typeof ClassScoreFields>;
export type ExplanationData = ResultOf<typeof ExplanationFields>;
export type ExplanationProgress = ResultOf<typeof ExplanationProgressFields>;
export type Artifact = ExplanationData['artifacts'][number];
