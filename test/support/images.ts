// Test images that are expensive or impossible to make with sharp itself.
import zlib from 'node:zlib';

export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A complete, valid black RGB PNG of width × height: a genuine decompression bomb (20000×20000 is a
 * ~5 MB file that decodes to 1.2 GB). Rows are streamed through deflate so making it stays cheap.
 */
export async function pngBomb(width: number, height: number): Promise<Buffer> {
  const ihdr = rgbIhdr(width, height);
  const deflate = zlib.createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(1 + width * 3);
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return pngFile(ihdr, Buffer.concat(parts));
}

export function rgbIhdr(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return ihdr;
}

export function pngFile(ihdr: Buffer, idat: Buffer, chunks: Buffer[] = []): Buffer {
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', ihdr),
    ...chunks,
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PNG written byte by byte, so every PNG mode can be made exactly: `rows[y]` are the row's packed
 * sample bytes (big-endian for 16-bit), stored unfiltered; `chunks` go between IHDR and IDAT
 * (PLTE, tRNS, iCCP…).
 */
export function rawPng(width: number, height: number, bitDepth: number, colourType: number, rows: number[][], chunks: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
  return pngFile(ihdr, zlib.deflateSync(Buffer.concat(rows.map((r) => Buffer.from([0, ...r])))), chunks);
}

/**
 * A one-frame GIF89a written byte by byte: `palette` (at most 4 colours), one palette index per pixel,
 * and optionally a transparent index. The LZW stream sends a clear code before every pixel, so no
 * dictionary entries are ever made and every code stays 3 bits wide.
 */
export function rawGif(width: number, height: number, palette: [number, number, number][], indices: number[], transparent?: number): Buffer {
  const le16 = (v: number) => [v & 255, v >> 8];
  const table = Array.from({ length: 4 }, (_, i) => palette[i] ?? [0, 0, 0]).flat();
  const CLEAR = 4;
  const END = 5;
  const codes = [...indices.flatMap((i) => [CLEAR, i]), END];
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of codes) {
    acc |= c << bits;
    bits += 3;
    while (bits >= 8) {
      bytes.push(acc & 255);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) bytes.push(acc & 255);
  const blocks: number[] = [];
  for (let i = 0; i < bytes.length; i += 255) blocks.push(Math.min(255, bytes.length - i), ...bytes.slice(i, i + 255));
  return Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'),
    ...le16(width), ...le16(height), 0x91, 0, 0, // global table of 4 colours
    ...table,
    ...(transparent === undefined ? [] : [0x21, 0xf9, 4, 1, 0, 0, transparent, 0]),
    0x2c, 0, 0, 0, 0, ...le16(width), ...le16(height), 0,
    2, ...blocks, 0, // LZW minimum code size 2, the data, block terminator
    0x3b,
  ]);
}
