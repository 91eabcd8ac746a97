// The one GIF fact libvips does not pass on: the palette colour of the first frame's transparent index.
// PIL opens a GIF's first frame as mode P, and convert('RGB') paints transparent pixels with that
// colour; libvips composites them as transparent black.

/** Skips a chain of GIF data sub-blocks starting at `p`; returns the offset after the terminator. */
function skipSubBlocks(b: Uint8Array, p: number): number {
  while (p < b.length && b[p] !== 0) p += b[p] + 1;
  return p + 1;
}

/** [r, g, b] of the first frame's transparent index, or null when it has none (or the file is not a GIF). */
export function gifTransparentColour(b: Uint8Array): [number, number, number] | null {
  const sig = String.fromCharCode(...b.subarray(0, 6));
  if (sig !== 'GIF87a' && sig !== 'GIF89a' || b.length < 13) return null;
  const tableBytes = (packed: number) => (packed & 0x80 ? 3 * (2 << (packed & 7)) : 0);
  let p = 13;
  const global = tableBytes(b[10]) ? p : -1;
  p += tableBytes(b[10]);
  let transparent = -1;
  while (p < b.length) {
    const block = b[p];
    if (block === 0x21) {
      // Graphic Control Extension: 0x21 0xF9 size=4 packed delay(2) index.
      if (b[p + 1] === 0xf9 && b[p + 2] >= 4 && b[p + 3] & 1) transparent = b[p + 6];
      p = skipSubBlocks(b, p + 2);
    } else if (block === 0x2c) {
      if (transparent < 0) return null;
      const packed = b[p + 9];
      const table = tableBytes(packed) ? p + 10 : global;
      if (table < 0) return null;
      const at = table + 3 * transparent;
      return at + 2 < b.length ? [b[at], b[at + 1], b[at + 2]] : null;
    } else {
      return null;
    }
  }
  return null;
}
