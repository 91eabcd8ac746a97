// Loads the scikit-image reference fixtures (test/fixtures/segment, made by make-fixtures.py) and
// compares partitions. Not a test file itself.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type { Segmentation } from '../../../src/engine/methods.ts';

export const FIXTURE_DIR = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../fixtures/segment');

interface RawConfig {
  algorithm: 'quickshift' | 'slic' | 'felzenszwalb';
  [k: string]: number | string;
}

export interface Manifest {
  versions: Record<string, string>;
  size: number;
  configs: Record<string, RawConfig>;
  images: { name: string; width: number; height: number; counts: Record<string, number> }[];
}

export function loadManifest(): Manifest | null {
  const file = path.join(FIXTURE_DIR, 'manifest.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest) : null;
}

function gunzip(name: string): Uint8Array {
  return new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(FIXTURE_DIR, name))));
}

export function loadRgb(image: string): Uint8Array {
  return gunzip(`${image}.rgb.gz`);
}

export function loadLabels(image: string, config: string): Int32Array {
  const bytes = gunzip(`${image}.${config}.u16.gz`);
  const out = new Int32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** find_boundaries output stored with numpy.packbits (MSB first). */
export function loadBits(image: string, mode: string, n: number): Uint8Array {
  const packed = gunzip(`${image}.boundaries-${mode}.bits.gz`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (packed[i >> 3] >> (7 - (i & 7))) & 1;
  return out;
}

/** skimage keyword arguments → the engine's Segmentation parameters. */
export function toParams(c: RawConfig): Segmentation {
  const num = (k: string) => Number(c[k]);
  if (c.algorithm === 'quickshift') {
    return { algorithm: 'QUICKSHIFT', kernelSize: num('kernel_size'), maxDist: num('max_dist'), ratio: num('ratio'), sigma: num('sigma') };
  }
  if (c.algorithm === 'slic') return { algorithm: 'SLIC', nSegments: num('n_segments'), compactness: num('compactness'), sigma: num('sigma') };
  return { algorithm: 'FELZENSZWALB', scale: num('scale'), sigma: num('sigma'), minSize: num('min_size') };
}

/** Adjusted Rand index (Hubert & Arabie) between two label maps of equal length. */
export function adjustedRandIndex(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new RangeError('label maps differ in length');
  const joint = new Map<number, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  const span = 1 + Math.max(...b);
  for (let i = 0; i < a.length; i++) {
    const k = a[i] * span + b[i];
    joint.set(k, (joint.get(k) ?? 0) + 1);
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
  }
  const pairs = (x: number) => (x * (x - 1)) / 2;
  const sum = (m: Map<number, number>) => [...m.values()].reduce((s, v) => s + pairs(v), 0);
  const sij = sum(joint);
  const sa = sum(ca);
  const sb = sum(cb);
  const expected = (sa * sb) / pairs(a.length);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (sij - expected) / (max - expected);
}
