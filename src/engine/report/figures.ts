// Figure grids as one PNG each: rows = images, columns = model × method, every tile captioned as
// the seeds print their figures ("grad_cam on n03445924 golfcart"). Labels are drawn from one SVG
// layer (librsvg) onto white, the tiles (decoded and resized by sharp) copied in; the same tiles
// always give the same bytes.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { TensorCache } from '../tensor-cache.ts';

export interface GridTile {
  /** The figure (any size; drawn into a square tile), or null for a cell without one. */
  png: Buffer | null;
  caption: string;
  /** Shown instead of a figure, e.g. "FAILED". */
  placeholder?: string;
}

export interface GridSpec {
  rowLabels: string[];
  columnLabels: string[];
  /** rows × columns. */
  tiles: GridTile[][];
  tileSize?: number;
}

const LABEL_W = 150;
const HEAD_H = 40;
const CAPTION_H = 30;
const GAP = 8;
const FONT = 11;
const WHITE = { r: 255, g: 255, b: 255 };

const memo = <K, V>(make: (key: K) => V): ((key: K) => V) => {
  const made = new Map<K, V>();
  return (key) => (made.has(key) ? made.get(key)! : made.set(key, make(key)).get(key)!);
};

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Splits text into at most `lines` lines of about `chars` characters, ending in … when cut. */
export function wrapText(text: string, chars: number, lines: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest && out.length < lines) {
    if (rest.length <= chars) {
      out.push(rest);
      rest = '';
      break;
    }
    let cut = rest.lastIndexOf(' ', chars);
    if (cut <= 0) cut = chars;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest && out.length) out[out.length - 1] = `${out[out.length - 1].slice(0, Math.max(0, chars - 1)).trimEnd()}…`;
  return out;
}

function textBlock(lines: string[], x: number, y: number, opts: { bold?: boolean; anchor?: 'start' | 'middle' } = {}): string {
  return lines
    .map(
      (l, i) =>
        `<text x="${x}" y="${y + i * (FONT + 3)}" font-family="DejaVu Sans, sans-serif" font-size="${FONT}"${opts.bold ? ' font-weight="bold"' : ''}${opts.anchor === 'middle' ? ' text-anchor="middle"' : ''} fill="#1b1b1f">${escapeXml(l)}</text>`,
    )
    .join('');
}

/** Bumped whenever drawing changes, so a cache never returns a grid drawn the old way. */
const DRAWING = 'grid-v2';

/** Draws figure grids. A renderer remembers the tiles it decoded (by buffer) and the label layers it
 *  drew (by their SVG): a report's views share their labels and most of their figures. With `cache`,
 *  finished grids are kept by the hash of all they are drawn from (labels, layout, each figure's
 *  bytes), so a rebuild from the same stored facts draws nothing. */
export function gridRenderer(cache?: TensorCache<Buffer>): (spec: GridSpec) => Promise<Buffer> {
  const tiles = memo((T: number) => memo((png: Buffer) => sharp(png).removeAlpha().resize(T, T, { fit: 'contain', background: WHITE }).raw().toBuffer()));
  const base = memo((svg: string) => sharp(Buffer.from(svg)).flatten({ background: WHITE }).removeAlpha().raw().toBuffer());
  return async (spec) => {
    const T = spec.tileSize ?? 160;
    const rows = spec.rowLabels.length;
    const cols = spec.columnLabels.length;
    const cellW = T + GAP;
    const cellH = T + CAPTION_H + GAP;
    const width = LABEL_W + cols * cellW + GAP;
    const height = HEAD_H + rows * cellH + GAP;
    const chars = Math.floor(T / (FONT * 0.6));
    const svg: string[] = [];
    const placed: { png: Buffer; raw: () => Promise<Buffer>; top: number; left: number }[] = [];
    spec.columnLabels.forEach((label, c) => svg.push(textBlock(wrapText(label, chars, 2), LABEL_W + c * cellW + T / 2, 16, { bold: true, anchor: 'middle' })));
    for (let r = 0; r < rows; r++) {
      const top = HEAD_H + r * cellH;
      svg.push(textBlock(wrapText(spec.rowLabels[r], Math.floor((LABEL_W - 12) / (FONT * 0.6)), 3), 6, top + T / 2, { bold: true }));
      for (let c = 0; c < cols; c++) {
        const tile = spec.tiles[r]?.[c];
        const left = LABEL_W + c * cellW;
        if (tile?.png) {
          placed.push({ png: tile.png, raw: () => tiles(T)(tile.png!), top, left });
        } else {
          svg.push(`<rect x="${left}" y="${top}" width="${T}" height="${T}" fill="#eeeef3" stroke="#b9b9c4"/>`);
          svg.push(textBlock([tile?.placeholder ?? 'no figure'], left + T / 2, top + T / 2, { anchor: 'middle' }));
        }
        if (tile?.caption) svg.push(textBlock(wrapText(tile.caption, chars, 2), left, top + T + FONT + 2));
      }
    }
    // Row labels are wrapped to their column and captions sit under their figure: no label overlaps
    // a figure, so the figures can be copied onto the drawn labels.
    const svgText = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`;
    const draw = async (): Promise<Buffer> => {
      const [labels, figures] = await Promise.all([base(svgText), Promise.all(placed.map((p) => p.raw()))]);
      const canvas = Buffer.from(labels);
      placed.forEach(({ top, left }, i) => {
        for (let y = 0; y < T; y++) figures[i].copy(canvas, ((top + y) * width + left) * 3, y * T * 3, (y + 1) * T * 3);
      });
      return sharp(canvas, { raw: { width, height, channels: 3 } }).png().toBuffer();
    };
    if (!cache) return draw();
    const key = createHash('sha256').update(`${DRAWING}\n${T}\n${svgText}\n`);
    for (const p of placed) key.update(`${p.top},${p.left},`).update(p.png);
    return cache.get(key.digest('hex'), draw);
  };
}

export function gridPng(spec: GridSpec): Promise<Buffer> {
  return gridRenderer()(spec);
}
