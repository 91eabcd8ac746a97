import { METHOD_REGISTRY } from '../../engine/methods.js';
import { STATUSES } from '../../services/explanation-states.js';
import { builder } from '../builder.js';
import { describedEnum } from './fields.js';

const methodValue = (m: (typeof METHOD_REGISTRY)[keyof typeof METHOD_REGISTRY]) => ({
  description: `${m.displayName} (${m.family.toLowerCase()} family, parameters.${m.parameters}${m.needsGradients ? ', needs gradients: not on quantized models' : ''}; ${m.signed ? 'signed maps' : 'maps ≥ 0'})`,
});
export const ExplanationMethodEnum = builder.enumType('ExplanationMethod', {
  description: 'Explanation methods, from the engine\'s method registry',
  values: Object.fromEntries(Object.entries(METHOD_REGISTRY).map(([k, m]) => [k, methodValue(m)])) as Record<keyof typeof METHOD_REGISTRY, { description: string }>,
});
export const ExplanationStatusEnum = builder.enumType('ExplanationStatus', { values: STATUSES });
export const RoleEnum = builder.enumType('Role', { values: ['VIEWER', 'RESEARCHER', 'ADMIN'] as const });
export const PresetEnum = builder.enumType('InputPreset', {
  description: "Each reproduces its reference pipeline bit for bit on PIL's pixels (Image.open(f).convert('RGB'))",
  values: {
    TORCHVISION: { value: 'torchvision', description: 'torchvision Resize(256) → CenterCrop(224) with PIL bilinear, ImageNet mean/std' },
    INCEPTION: { value: 'inception', description: 'torchvision Inception-v3: Resize(342) → CenterCrop(299), ImageNet mean/std' },
    INCEPTION_TF: {
      value: 'inception-tf',
      description: "Keras load_img(target_size=(299, 299)): PIL nearest straight to 299×299 (aspect ratio not kept, no crop), then x/127.5 − 1",
    },
    IDENTITY: { value: 'identity', description: 'Shorter side to the input size with PIL bilinear, center crop, scale to [0, 1]' },
  } as const,
});
export const ResizeModeEnum = describedEnum('ResizeMode', {
  CENTER_CROP: 'Shorter side to resizeShorter (aspect ratio kept), then the center width × height',
  STRETCH: 'Straight to width × height; the aspect ratio is not kept',
});
export const InterpolationEnum = builder.enumType('Interpolation', {
  description: "Pillow 9.4's resampling filter, reproduced exactly",
  values: ['BILINEAR', 'NEAREST'] as const,
});
export const ColorProfilePolicyEnum = describedEnum('ColorProfilePolicy', {
  IGNORE: 'An embedded ICC profile is ignored, as PIL (and so torchvision and Keras) does',
  CONVERT_TO_SRGB: 'Pixels are converted from an embedded ICC profile to sRGB, as colour-managed viewers show them',
});
export const OrientationPolicyEnum = describedEnum('OrientationPolicy', {
  IGNORE: 'The stored pixels, as PIL reads them: the EXIF orientation tag is not applied',
  APPLY: 'The EXIF orientation is applied first, as photo viewers show the picture',
});
export const OutputKindEnum = builder.enumType('OutputKind', { values: ['LOGITS', 'PROBABILITIES'] as const });
