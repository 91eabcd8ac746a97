// Figure grids as one PNG each: rows = images, columns = model × method, every tile captioned as
// the seeds print their figures ("grad_cam on n03445924 golfcart"). Labels are drawn from one SVG
// layer (librsvg), tiles composited by sharp; the same tiles always give the same bytes.
import sharp, { type OverlayOptions } from 'sharp';

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

export async function gridPng(spec: GridSpec): Promise<Buffer> {
  const T = spec.tileSize ?? 160;
  const rows = spec.rowLabels.length;
  const cols = spec.columnLabels.length;
  const cellW = T + GAP;
  const cellH = T + CAPTION_H + GAP;
  const width = LABEL_W + cols * cellW + GAP;
  const height = HEAD_H + rows * cellH + GAP;
  const chars = Math.floor(T / (FONT * 0.6));
  const svg: string[] = [];
  const layers: OverlayOptions[] = [];
  spec.columnLabels.forEach((label, c) => svg.push(textBlock(wrapText(label, chars, 2), LABEL_W + c * cellW + T / 2, 16, { bold: true, anchor: 'middle' })));
  for (let r = 0; r < rows; r++) {
    const top = HEAD_H + r * cellH;
    svg.push(textBlock(wrapText(spec.rowLabels[r], Math.floor((LABEL_W - 12) / (FONT * 0.6)), 3), 6, top + T / 2, { bold: true }));
    for (let c = 0; c < cols; c++) {
      const tile = spec.tiles[r]?.[c];
      const left = LABEL_W + c * cellW;
      if (tile?.png) {
        const raw = await sharp(tile.png).removeAlpha().resize(T, T, { fit: 'contain', background: { r: 255, g: 255, b: 255 } }).raw().toBuffer();
        layers.push({ input: raw, raw: { width: T, height: T, channels: 3 }, top, left });
      } else {
        svg.push(`<rect x="${left}" y="${top}" width="${T}" height="${T}" fill="#eeeef3" stroke="#b9b9c4"/>`);
        svg.push(textBlock([tile?.placeholder ?? 'no figure'], left + T / 2, top + T / 2, { anchor: 'middle' }));
      }
      if (tile?.caption) svg.push(textBlock(wrapText(tile.caption, chars, 2), left, top + T + FONT + 2));
    }
  }
  const labels = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`);
  layers.push({ input: labels, top: 0, left: 0 });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer();
}
