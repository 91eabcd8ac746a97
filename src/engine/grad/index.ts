// Gradients for CNN explanations: backward graphs generated from the ONNX model and run in onnxruntime.
export { buildGradientModel, gradientName, type GradientModelOptions } from './build.ts';
export { defaultTargetLayer, inferShapes, listCandidateLayers, type CandidateLayer, type LayerOptions } from './layers.ts';
export { GradientRunner, modelHash, oneHotSeed, type GradientResult, type GradientRunnerOptions } from './runner.ts';
export { RULES, differentiableInputs, QUANTIZED_OPS } from './rules.ts';
export { ShapeTable, type Dim, type Shape, type TensorFacts } from './shapes.ts';
export { GRAD_OPSET } from './upgrade.ts';
export { tailModel } from './tail.ts';
