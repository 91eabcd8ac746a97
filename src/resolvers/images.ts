import type { Context } from '../context.js';
import { InvalidImageError } from '../errors.js';
import { ingestImage } from '../services/images.js';
import type { UploadedFile } from '../uploads.js';

export async function uploadImage(_root: unknown, args: { file: UploadedFile }, ctx: Context) {
  const { maxImageBytes } = ctx.app.config.limits;
  if (args.file.exceeds(maxImageBytes)) {
    throw new InvalidImageError('UPLOAD_TOO_LARGE', `${args.file.describeSize('image')}; the limit is ${maxImageBytes}`);
  }
  return ingestImage(ctx.app, await args.file.bytes(), args.file.name);
}
