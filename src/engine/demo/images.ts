// Demo images for the demo model: flat colored shapes on seeded gray noise, drawn into a raw RGB
// buffer (hard edges, exact boxes) and encoded as PNG with sharp. Deterministic under `seed`.
import sharp from 'sharp';
import { mulberry32 } from '../random.ts';
import { DEMO_PALETTE, type DemoColor } from './model.ts';

export type ShapeKind = 'square' | 'disc' | 'triangle';

export interface DemoShape {
  color: DemoColor;
  kind: ShapeKind;
  /** Top-left corner of the shape's bounding box, in pixels. */
  x: number;
  y: number;
  /** Side of the bounding box (disc diameter, triangle base and height). */
  size: number;
}

/** Bounding box of a drawn shape, clipped to the image; x1/y1 are exclusive. */
export interface DemoBox {
  color: DemoColor;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface DrawOptions {
  seed: number;
  shapes: DemoShape[];
  width?: number;
  height?: number;
}

/** Gray level of the background and the noise amplitudes (0..255 units). */
const GRAY = 128;
const LUMA_NOISE = 30;
const CHROMA_NOISE = 8;
const PAINT_NOISE = 6;

function inside(s: DemoShape, px: number, py: number): boolean {
  const cx = px + 0.5; // pixel centers
  const cy = py + 0.5;
  if (cx < s.x || cx >= s.x + s.size || cy < s.y || cy >= s.y + s.size) return false;
  switch (s.kind) {
    case 'square':
      return true;
    case 'disc': {
      const r = s.size / 2;
      return (cx - s.x - r) ** 2 + (cy - s.y - r) ** 2 <= r * r;
    }
    case 'triangle': // apex at top center, base along the bottom edge
      return Math.abs(cx - (s.x + s.size / 2)) <= (cy - s.y) / 2;
  }
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

export async function drawDemoImage(opts: DrawOptions): Promise<{ png: Buffer; boxes: DemoBox[] }> {
  const { seed, shapes, width = 224, height = 224 } = opts;
  const rand = mulberry32(seed);
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const luma = GRAY + (rand() * 2 - 1) * LUMA_NOISE;
    for (let c = 0; c < 3; c++) px[i * 3 + c] = clamp(luma + (rand() * 2 - 1) * CHROMA_NOISE);
  }
  // Later shapes paint over earlier ones.
  for (const s of shapes) {
    const paint = DEMO_PALETTE[s.color];
    const x0 = Math.max(0, Math.floor(s.x));
    const y0 = Math.max(0, Math.floor(s.y));
    const x1 = Math.min(width, Math.ceil(s.x + s.size));
    const y1 = Math.min(height, Math.ceil(s.y + s.size));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (!inside(s, x, y)) continue;
        const n = (rand() * 2 - 1) * PAINT_NOISE;
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) px[i + c] = clamp(paint[c] + n);
      }
    }
  }
  const boxes = shapes
    .map((s) => ({
      color: s.color,
      x0: Math.max(0, Math.floor(s.x)),
      y0: Math.max(0, Math.floor(s.y)),
      x1: Math.min(width, Math.ceil(s.x + s.size)),
      y1: Math.min(height, Math.ceil(s.y + s.size)),
    }))
    .filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  const png = await sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return { png, boxes };
}

export interface DemoImage {
  /** Stable identifier, also usable as a file name stem. */
  name: string;
  description: string;
  /** Label the demo model should predict (top-1). */
  expectedLabel: string;
  shapes: DemoShape[];
  png: Buffer;
  boxes: DemoBox[];
}

type DemoImageSpec = Omit<DemoImage, 'png' | 'boxes'>;

/** One shape on gray noise: named after it, and the model should predict its color. */
function single(shape: DemoShape, where: string): DemoImageSpec {
  return { name: `${shape.color}-${shape.kind}`, description: `A ${shape.color} ${shape.kind} ${where} on gray noise.`, expectedLabel: shape.color, shapes: [shape] };
}

const STANDARD: DemoImageSpec[] = [
  single({ color: 'red', kind: 'square', x: 24, y: 24, size: 80 }, 'in the top-left corner'),
  single({ color: 'green', kind: 'disc', x: 116, y: 116, size: 90 }, 'in the bottom-right corner'),
  single({ color: 'blue', kind: 'triangle', x: 62, y: 16, size: 100 }, 'at the top center'),
  single({ color: 'yellow', kind: 'disc', x: 67, y: 67, size: 90 }, 'in the center'),
  {
    name: 'blue-and-yellow',
    description: 'A blue square (left) and a slightly smaller yellow disc (right): two classes, two regions.',
    expectedLabel: 'blue',
    shapes: [
      { color: 'blue', kind: 'square', x: 16, y: 72, size: 80 },
      { color: 'yellow', kind: 'disc', x: 128, y: 76, size: 76 },
    ],
  },
  {
    name: 'noise',
    description: 'Pure gray noise: no colored shape, so the model predicts background.',
    expectedLabel: 'background',
    shapes: [],
  },
];

/** The standard demo images (deterministic; seed derived from the position in the list). */
export async function demoImageSet(): Promise<DemoImage[]> {
  return Promise.all(
    STANDARD.map(async (d, i) => {
      const { png, boxes } = await drawDemoImage({ seed: 1000 + i, shapes: d.shapes });
      return { ...d, shapes: d.shapes.map((s) => ({ ...s })), png, boxes };
    }),
  );
}
