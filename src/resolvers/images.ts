import type { Context } from '../context.js';
import { ingestImage } from '../services/images.js';

export async function uploadImage(_root: unknown, args: { file: File }, ctx: Context) {
  return ingestImage(ctx.app, new Uint8Array(await args.file.arrayBuffer()), args.file.name || null);
}
