// Built-in demo: a hand-weighted color-shape CNN and matching synthetic images.
export {
  buildDemoModel,
  DEMO_COLORS,
  DEMO_INPUT_SPEC,
  DEMO_LABELS,
  DEMO_PALETTE,
  DEMO_TARGET_LAYER,
  type DemoColor,
  type DemoModel,
} from './model.ts';
export {
  demoImageSet,
  drawDemoImage,
  type DemoBox,
  type DemoImage,
  type DemoShape,
  type DrawOptions,
  type ShapeKind,
} from './images.ts';
