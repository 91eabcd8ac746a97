// GraphQL documents the portal needs beyond the SDK's (typed by gql.tada from client/schema.graphql).
// Kept shallow: the service's cost limit counts every field once per list item (connections at
// their page size, `nodes` at its number of ids), a fragment's fields as if written in place. A job
// row reuses the SDK's progress fragment.
import { ExplanationProgressFields, graphql } from '../../sdk/index.ts';

/** A job row: progress and enough to label it, without the (possibly large) result JSON. */
export const JobFields = graphql(
  `
  fragment JobFields on Explanation {
    ...ExplanationProgressFields
    method
    study { id name }
    targetClasses
    createdAt
    artifacts { name kind url }
    image { id url originalName }
    model { id name }
  }
`,
  [ExplanationProgressFields],
);

export const JobsQuery = graphql(
  `
  query PortalJobs($first: Int, $after: String, $filter: ExplanationFilter) {
    explanations(first: $first, after: $after, filter: $filter) {
      edges { node { ...JobFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [JobFields],
);

export const PredictionSummary = graphql(`
  fragment PredictionSummary on Prediction {
    id
    createdAt
    model { id name }
    classes { index label probability }
  }
`);

export const ImagesPageQuery = graphql(
  `
  query PortalImages($first: Int, $after: String) {
    images(first: $first, after: $after) {
      edges {
        node {
          id url width height format originalName fileNameSynset
          predictions(first: 5) { edges { node { ...PredictionSummary } } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`,
  [PredictionSummary],
);

export const ImageDetailQuery = graphql(
  `
  query PortalImage($id: ID!) {
    image(id: $id) {
      id url width height format originalName
      predictions(first: 10) { edges { node { ...PredictionSummary } } }
    }
  }
`,
  [PredictionSummary],
);

/** Ids first, then the explanations through `nodes` (which takes at most 100 ids, as a page has at most 100 edges). */
export const ImageExplanationIdsQuery = graphql(`
  query PortalImageExplanationIds($image: ID!, $after: String) {
    explanations(first: 100, after: $after, filter: { image: $image }) {
      edges { node { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ExplanationNodesQuery = graphql(`
  query PortalExplanationNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Explanation {
        id status progress stage samplesDone samplesTotal etaSeconds error { code message }
        method targetClasses parameters result createdAt
        artifacts { name kind url byteSize }
        faithfulness { classIndex steps fill fractions deletion insertion deletionAuc insertionAuc }
        model { id name }
      }
    }
  }
`);

export const PortalModelsQuery = graphql(`
  query PortalModels {
    models(first: 100) { edges { node { id name version quantized numClasses input { width height } } } }
  }
`);

/** What one model reads from one image: the exact pixels, rendered by the service. */
export const ModelInputQuery = graphql(`
  query PortalModelInput($image: ID!, $model: ID!) {
    image(id: $image) { modelInput(model: $model) { url width height } }
  }
`);

/** A finished study's tables and report (the comparisons at their defaults: every pair of methods per model). */
export const StudyResultsQuery = graphql(`
  query PortalStudyResults($id: ID!) {
    study(id: $id) {
      id
      report { url byteSize sha256 }
      predictions {
        image { id originalName }
        model { id name }
        top1 { index label synset probability }
        groundTruth { synset label source }
        correct
        modelsDisagree
      }
      comparisons {
        a { model { id name } methodKey label binarization { kind numFeatures value percent } }
        b { model { id name } methodKey label binarization { kind numFeatures value percent } }
        topPercent
        rows { image { id originalName } iou dice pearson spearman topKOverlap }
        summary {
          iou { n mean median sd }
          dice { n mean median sd }
          pearson { n mean median sd }
          spearman { n mean median sd }
          topKOverlap { n mean median sd }
        }
      }
    }
  }
`);
