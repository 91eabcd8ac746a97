// aug-smooth as pytorch-grad-cam does it with ttach: every map is computed on each transformed
// image, de-augmented, and averaged; and the accumulation of the finished maps per class.
import { flipImage, type ImageInput } from '../explain/toolkit.ts';
import { flipMapInPlace } from './maps.ts';

/** ttach: Compose([HorizontalFlip(), Multiply(factors=[0.9, 1, 1.1])]) — 6 transforms. */
export interface Augmentation {
  flip: boolean;
  factor: number;
}
export const AUG_SMOOTH: readonly Augmentation[] = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));
export const IDENTITY: readonly Augmentation[] = [{ flip: false, factor: 1 }];

export function augmentInto(img: ImageInput, aug: Augmentation, dst: Float32Array, offset: number): void {
  if (aug.flip) flipImage(img.input, dst, img.spec, offset);
  else dst.set(img.input, offset);
  if (aug.factor !== 1) {
    const f = aug.factor;
    for (let i = offset; i < offset + img.per; i++) dst[i] *= f;
  }
}

function isIdentity(a: Augmentation): boolean {
  return !a.flip && a.factor === 1;
}

/** The index of the unaugmented image (its prediction picks the classes). */
export function identityIndex(augs: readonly Augmentation[]): number {
  const i = augs.findIndex(isIdentity);
  return i < 0 ? 0 : i;
}

/** Per class: the sum of the de-augmented finished maps, and the unaugmented map's low-resolution maximum. */
export interface Accumulator {
  sums: Float32Array[];
  rawMax: number[];
}

export function accumulator(classes: number, size: number): Accumulator {
  return { sums: Array.from({ length: classes }, () => new Float32Array(size)), rawMax: new Array<number>(classes).fill(0) };
}

export function accumulate(acc: Accumulator, ci: number, aug: Augmentation, res: { map: Float32Array; rawMax: number }, H: number, W: number): void {
  if (aug.flip) flipMapInPlace(res.map, H, W);
  const s = acc.sums[ci];
  for (let i = 0; i < s.length; i++) s[i] += res.map[i];
  if (isIdentity(aug)) acc.rawMax[ci] = res.rawMax;
}

/** The accumulated maps divided by the number of augmentations (in place). */
export function averaged(acc: Accumulator, n: number): Float32Array[] {
  if (n > 1) for (const s of acc.sums) for (let i = 0; i < s.length; i++) s[i] /= n;
  return acc.sums;
}
