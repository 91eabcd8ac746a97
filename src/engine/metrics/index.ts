// Metrics over explanations: agreement between two maps (binarized masks, correlations), summaries.
export { agreement, dice, iou, topKOverlap, type Agreement, type MapOperand } from './agreement.ts';
export { binarize, checkBinarization, segmentValues, topCount, topPixels, type Binarization } from './binarize.ts';
export { averageRanks, pearson, spearman } from './correlation.ts';
export { argsort, descendingOrder } from './order.ts';
export { summarize, type Summary } from './stats.ts';
export { checkRandomization, randomizationCheck, randomizeTopLayers, type RandomizationParams, type RandomizationResult } from './randomization.ts';
export { checkFaithfulness, deletionInsertion, FAITHFULNESS_DEFAULTS, FAITHFULNESS_FILLS, fillImage, stepCounts, trapezoid, type ClassCurves, type Curve, type FaithfulnessFill, type FaithfulnessInput, type FaithfulnessParams } from './faithfulness.ts';
