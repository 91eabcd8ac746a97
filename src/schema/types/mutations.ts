// Write side. Every mutation returns a union of its success payload and the typed errors it can raise.
import * as explanations from '../../resolvers/explanations.js';
import * as images from '../../resolvers/images.js';
import * as keys from '../../resolvers/keys.js';
import * as models from '../../resolvers/models.js';
import * as predictions from '../../resolvers/predictions.js';
import { builder } from '../builder.js';
import { COMMON_ERRORS, EXPLAIN_ERRORS, IMAGE_ERRORS, MODEL_ERRORS, OWNED_ERRORS, PREDICT_ERRORS, RETRY_ERRORS } from './errors.js';
import { ColorProfilePolicyEnum, OrientationPolicyEnum, OutputKindEnum, PresetEnum, RoleEnum } from './enums.js';
import { ImageRef, ModelRef, PredictionRef } from './nodes.js';
import { ExplanationRef } from './nodes.js';
import { RequestExplanationInput } from './explanation-inputs.js';
import { inputMutation } from './fields.js';
import { lifecycleMutations } from './lifecycle.js';

const RegisterModelInput = builder.inputType('RegisterModelInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    version: t.string({ description: 'Defaults to "1"' }),
    description: t.string(),
    file: t.field({ type: 'File', description: 'The ONNX file, uploaded (multipart)' }),
    path: t.string({ description: 'Or: a path inside the allow-listed models directory (XAI_MODELS_DIR)' }),
    labelsFile: t.field({ type: 'File', description: 'imagenet_class_index.json, a JSON array, or one label per line' }),
    labelsPath: t.string({ description: 'Or: a labels file inside the models directory' }),
    preset: t.field({ type: PresetEnum, description: 'Preprocessing; inferred from the input size when omitted' }),
    colorProfile: t.field({ type: ColorProfilePolicyEnum, description: 'Embedded ICC profiles; IGNORE (as PIL) when omitted' }),
    orientation: t.field({ type: OrientationPolicyEnum, description: 'EXIF orientation; IGNORE (as PIL) when omitted' }),
    outputKind: t.field({ type: OutputKindEnum, description: 'Inferred (a final Softmax means PROBABILITIES) when omitted' }),
  }),
});

const PredictInput = builder.inputType('PredictInput', {
  fields: (t) => ({
    image: t.globalID({ for: ImageRef, required: true }),
    model: t.globalID({ for: ModelRef, required: true }),
    topK: t.int({ defaultValue: 5 }),
  }),
});

const ApiKeyCreatedRef = builder.objectRef<{ secret: string; id: string; name: string; role: string }>('ApiKeyCreated').implement({
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'Shown only once; store it now' }),
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (k) => k.role as never }),
  }),
});

builder.mutationFields((t) => ({
  uploadImage: t.field({
    type: ImageRef,
    errors: { types: IMAGE_ERRORS },
    args: { file: t.arg({ type: 'File', required: true }) },
    resolve: images.uploadImage,
  }),
  registerModel: inputMutation(t, { type: ModelRef, input: RegisterModelInput, errors: MODEL_ERRORS, adminOnly: true, resolve: models.registerModel }),
  predict: inputMutation(t, { type: PredictionRef, input: PredictInput, errors: PREDICT_ERRORS, resolve: predictions.predict }),
  requestExplanation: inputMutation(t, { type: ExplanationRef, input: RequestExplanationInput, errors: EXPLAIN_ERRORS, resolve: explanations.requestExplanation }),
  ...lifecycleMutations(t, 'Explanation', ExplanationRef, explanations.lifecycle, {
    cancel: 'Cancels a queued or running explanation; running inference stops within one batch. Its creator or an admin only',
    retry: 'Queues a FAILED or CANCELLED explanation again. Its creator or an admin only',
    remove: 'Deletes a finished (or cancelled) explanation and returns its id; the stored files stay. Its creator or an admin only',
  }),
  createApiKey: t.field({
    type: ApiKeyCreatedRef,
    authScopes: { admin: true },
    errors: { types: COMMON_ERRORS },
    args: { name: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: keys.createKey,
  }),
}));
