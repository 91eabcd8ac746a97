// GraphQL documents shared by the API tests.
export const ERROR_FIELDS = `__typename ... on Error { code message } ... on InvalidArgumentError { field }`;
const NOT_FOUND = `... on NotFoundError { id typename }`;

export const UPLOAD_IMAGE = `mutation($file: File!) { uploadImage(file: $file) {
  ... on UploadImageSuccess { data { id sha256 width height format originalName byteSize url } }
  ${ERROR_FIELDS} } }`;

export const REGISTER_MODEL = `mutation($input: RegisterModelInput!) { registerModel(input: $input) {
  ... on RegisterModelSuccess { data { id name version quantized numClasses outputKind sha256
    input { name layout width height resizeMode resizeShorter interpolation colorProfile orientation scale mean std }
    labels(limit: 3) { index label synset } } }
  ${ERROR_FIELDS} } }`;

export const PREDICT = `mutation($input: PredictInput!) { predict(input: $input) {
  ... on PredictSuccess { data { id topK latencyMs top1 { index label synset probability logit } classes { index label probability logit } } }
  ${ERROR_FIELDS} ${NOT_FOUND} } }`;

export const REQUEST_EXPLANATION = `mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) {
  ... on RequestExplanationSuccess { data { id status method parameters seed targetClasses progress priority } }
  ${ERROR_FIELDS} ${NOT_FOUND} } }`;

export const MODEL_INPUT = `query($image: ID!, $model: ID!) { image(id: $image) {
  modelInput(model: $model) { url width height originalWidth originalHeight cropLeft cropTop cropWidth cropHeight } } }`;

export const MODELS = `{ models(first: 50) { edges { node { id name builtin numClasses } } } }`;
export const COUNTS = `{ images(first: 100) { edges { node { id } } } models(first: 100) { edges { node { id } } } }`;

export const STUDY_FIELDS = `id name description seed state priority createdBy createdAt startedAt finishedAt
  images { position image { id } groundTruth { synset label } }
  models { id }
  methods { key method label target parameters position }
  cells { methodKey state weight position image { id } model { id } explanation { id status method createdBy study { id } } }
  progress { cellsDone cellsFailed cellsCancelled cellsTotal fraction etaSeconds }`;

export const CREATE_STUDY = `mutation($input: CreateStudyInput!) { createStudy(input: $input) {
  ... on CreateStudySuccess { data { ${STUDY_FIELDS} } }
  ${ERROR_FIELDS} ${NOT_FOUND} } }`;

export const STUDY = `query($id: ID!) { study(id: $id) { ${STUDY_FIELDS} } }`;
