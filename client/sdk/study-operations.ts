// Typed documents for studies (images × models × methods in one request). The live document is kept
// lean (it is sent after every change of any cell); the figures' data comes from StudyQuery.
import { graphql, type ResultOf } from './graphql.ts';
import { ErrorFields } from './operations.ts';

export const StudySummaryFields = graphql(`
  fragment StudySummaryFields on Study {
    id
    name
    description
    seed
    state
    createdBy
    createdAt
    startedAt
    finishedAt
    progress { cellsDone cellsFailed cellsCancelled cellsTotal fraction etaSeconds }
  }
`);

/** What a progress view needs: the study's progress and every cell's state. */
export const StudyLiveFields = graphql(
  `
  fragment StudyLiveFields on Study {
    ...StudySummaryFields
    cells {
      position
      methodKey
      state
      weight
      image { id }
      model { id }
      explanation { id status progress stage etaSeconds error { code message } }
    }
  }
`,
  [StudySummaryFields],
);

/** The live state over HTTP (what a watcher asks when a subscription ends early). */
export const StudyLiveQuery = graphql(
  `
  query StudyLive($id: ID!) { study(id: $id) { ...StudyLiveFields } }
`,
  [StudyLiveFields],
);

export const StudyQuery = graphql(
  `
  query Study($id: ID!) {
    study(id: $id) {
      ...StudyLiveFields
      images { position image { id url originalName fileNameSynset width height } groundTruth { synset label } }
      models { id name version }
      methods { key method label target parameters position }
    }
  }
`,
  [StudyLiveFields],
);

/** The cells' explanations with their artifacts, at most 100 ids at a time (`nodes` takes at most 100). */
export const StudyExplanationsQuery = graphql(`
  query StudyExplanations($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Explanation {
        id status method targetClasses caption parameters result seed durationMs
        error { code message }
        deletionAuc insertionAuc
        faithfulness { classIndex steps fill blurSigma fractions deletion insertion deletionAuc insertionAuc }
        artifacts { name kind mediaType url width height byteSize }
      }
    }
  }
`);

/** The report archive (ZIP) of a finished study; null before every cell has finished. */
export const StudyReportQuery = graphql(`
  query StudyReport($id: ID!) { study(id: $id) { id state report { url sha256 byteSize } } }
`);

export const StudiesQuery = graphql(
  `
  query Studies($first: Int, $after: String, $filter: StudyFilter) {
    studies(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ...StudySummaryFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [StudySummaryFields],
);

export const CreateStudyMutation = graphql(
  `
  mutation CreateStudy($input: CreateStudyInput!) {
    createStudy(input: $input) {
      __typename
      ... on CreateStudySuccess { data { ...StudyLiveFields } }
      ...ErrorFields
    }
  }
`,
  [StudyLiveFields, ErrorFields],
);

export const CancelStudyMutation = graphql(
  `
  mutation CancelStudy($id: ID!) {
    cancelStudy(id: $id) {
      __typename
      ... on CancelStudySuccess { data { ...StudyLiveFields } }
      ...ErrorFields
    }
  }
`,
  [StudyLiveFields, ErrorFields],
);

export const RetryStudyMutation = graphql(
  `
  mutation RetryStudy($id: ID!) {
    retryStudy(id: $id) {
      __typename
      ... on RetryStudySuccess { data { ...StudyLiveFields } }
      ...ErrorFields
    }
  }
`,
  [StudyLiveFields, ErrorFields],
);

/** The current state first (also after a reconnect), then the latest after every change; the last one is terminal. */
export const StudyUpdatedSubscription = graphql(
  `
  subscription StudyUpdated($id: ID!) {
    studyUpdated(id: $id) { ...StudyLiveFields }
  }
`,
  [StudyLiveFields],
);

export type StudySummary = ResultOf<typeof StudySummaryFields>;
export type StudyLive = ResultOf<typeof StudyLiveFields>;
export type StudyDetail = NonNullable<ResultOf<typeof StudyQuery>['study']>;
export type StudyCellLive = StudyLive['cells'][number];
