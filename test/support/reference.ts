// ../shared/reference (the Python libraries' outputs on the shared photos) and MobileNetV2, for the
// tests that compare with them: the paths, the skip messages when either is absent, and the photos.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from './shared.js';

export const refDir = path.join(sharedDir, 'reference');
export const mbv2Path = path.join(sharedDir, 'models', 'mobilenetv2-float.onnx');
/** Why a test of the reference outputs alone skips, or false. */
export const referenceOnlySkip: string | false = existsSync(path.join(refDir, 'index.json')) ? false : `needs ${refDir} (the Python reference outputs), which is absent`;
/** Why a test of MobileNetV2 against the reference outputs skips, or false. */
export const referenceSkip: string | false = referenceOnlySkip || (existsSync(mbv2Path) ? false : `needs ${mbv2Path}, which is absent`);

export interface ReferencePhoto<T> {
  /** The file name without extension: the photo's folder under reference/. */
  stem: string;
  /** The photo: in ../shared/images, or (made for the reference) in reference/photos. */
  file: string;
  /** Its entry in reference/index.json. */
  info: T;
}

/** The photos of reference/index.json whose entry passes `keep` (none when the reference is absent). */
export function referencePhotos<T = { files: string[] }>(keep: (info: T) => boolean = () => true): ReferencePhoto<T>[] {
  if (referenceOnlySkip) return [];
  const index = JSON.parse(readFileSync(path.join(refDir, 'index.json'), 'utf8')) as Record<string, T>;
  return Object.entries(index)
    .filter(([, info]) => keep(info))
    .map(([name, info]) => {
      const inImages = path.join(sharedDir, 'images', name);
      return { stem: name.replace(/\.[^.]+$/, ''), file: existsSync(inImages) ? inImages : path.join(refDir, 'photos', name), info };
    });
}
