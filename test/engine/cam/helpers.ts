// Fixtures for the CAM and input-gradient tests: a two-shape demo drawing and localization measures
// (the models and requests are in ../fixtures.ts).
import { drawDemoImage, type DemoBox } from '../../../src/engine/demo/index.ts';
import type { Attribution } from '../../../src/engine/explain/types.ts';

/** Red square top-left, blue disc bottom-right (class 1 = red, 3 = blue). */
export async function twoShapes(): Promise<{ png: Buffer; red: DemoBox; blue: DemoBox }> {
  const { png, boxes } = await drawDemoImage({
    seed: 11,
    shapes: [
      { color: 'red', kind: 'square', x: 20, y: 28, size: 72 },
      { color: 'blue', kind: 'disc', x: 124, y: 120, size: 80 },
    ],
  });
  return { png, red: boxes[0], blue: boxes[1] };
}

export function peak(a: Attribution): { x: number; y: number; value: number } {
  let best = 0;
  for (let i = 1; i < a.map.length; i++) if (a.map[i] > a.map[best]) best = i;
  return { x: best % a.width, y: Math.floor(best / a.width), value: a.map[best] };
}

export function inBox(p: { x: number; y: number }, b: DemoBox, margin = 0): boolean {
  return p.x >= b.x0 - margin && p.x < b.x1 + margin && p.y >= b.y0 - margin && p.y < b.y1 + margin;
}

/** Share of Σ|map| (or Σ max(map,0) when positive) inside the box, grown by `margin` pixels. */
export function massInBox(a: Attribution, b: DemoBox, margin = 0, kind: 'abs' | 'positive' = 'abs'): number {
  let inside = 0;
  let all = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const v = a.map[y * a.width + x];
      const m = kind === 'abs' ? Math.abs(v) : Math.max(v, 0);
      all += m;
      if (inBox({ x, y }, b, margin)) inside += m;
    }
  }
  return all > 0 ? inside / all : 0;
}
