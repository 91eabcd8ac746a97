import { METHODS } from '../../engine/methods.js';
import { STATUSES } from '../../services/explanation-states.js';
import { builder } from '../builder.js';

export const ExplanationMethodEnum = builder.enumType('ExplanationMethod', { values: METHODS });
export const ExplanationStatusEnum = builder.enumType('ExplanationStatus', { values: STATUSES });
export const RoleEnum = builder.enumType('Role', { values: ['VIEWER', 'RESEARCHER', 'ADMIN'] as const });
export const PresetEnum = builder.enumType('InputPreset', {
  values: {
    TORCHVISION: { value: 'torchvision', description: 'Resize shorter side 256, center crop 224, ImageNet mean/std' },
    INCEPTION: { value: 'inception', description: 'torchvision Inception-v3: resize 342, crop 299, ImageNet mean/std' },
    INCEPTION_TF: { value: 'inception-tf', description: 'Keras-style Inception: 299, scaled to [-1, 1]' },
    IDENTITY: { value: 'identity', description: 'Resize to the input size, scale to [0, 1]' },
  } as const,
});
export const OutputKindEnum = builder.enumType('OutputKind', { values: ['LOGITS', 'PROBABILITIES'] as const });
