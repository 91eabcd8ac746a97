import type { Context } from '../context.js';
import type { ColorProfilePolicy, OrientationPolicy, OutputKind, PresetName } from '../engine/types.js';
import { InvalidArgumentError, InvalidModelError } from '../errors.js';
import { allowedLabelsText, allowedModelFile, MAX_LABELS_BYTES, registerModel as register, type ModelSource } from '../services/models.js';
import type { UploadedFile } from '../uploads.js';

interface RegisterModelArgs {
  input: {
    name: string;
    version?: string | null;
    description?: string | null;
    file?: UploadedFile | null;
    path?: string | null;
    labelsFile?: UploadedFile | null;
    labelsPath?: string | null;
    preset?: PresetName | null;
    colorProfile?: ColorProfilePolicy | null;
    orientation?: OrientationPolicy | null;
    outputKind?: OutputKind | null;
  };
}

export async function registerModel(_root: unknown, { input }: RegisterModelArgs, ctx: Context) {
  const { app } = ctx;
  if (!!input.file === !!input.path) throw new InvalidArgumentError('input.file', 'give exactly one of input.file (upload) or input.path');
  if (input.labelsFile && input.labelsPath) throw new InvalidArgumentError('input.labelsFile', 'give at most one of labelsFile or labelsPath');
  const { maxModelBytes } = app.config.limits;
  if (input.file?.exceeds(maxModelBytes)) throw new InvalidModelError('UPLOAD_TOO_LARGE', `${input.file.describeSize('model')}; the limit is ${maxModelBytes}`);
  if (input.labelsFile?.exceeds(MAX_LABELS_BYTES)) {
    throw new InvalidModelError('INVALID_LABELS', `${input.labelsFile.describeSize('labels file')}; a labels file may have at most ${MAX_LABELS_BYTES}`);
  }
  const source: ModelSource = input.file ? { file: input.file, move: true } : { file: await allowedModelFile(app, input.path!, 'input.path'), move: false };
  const labels = input.labelsFile
    ? { text: (await input.labelsFile.bytes()).toString('utf8'), filename: input.labelsFile.name ?? undefined }
    : input.labelsPath
      ? { text: await allowedLabelsText(app, input.labelsPath, 'input.labelsPath'), filename: input.labelsPath }
      : null;
  return register(app, {
    source,
    name: input.name,
    version: input.version ?? '1',
    description: input.description ?? null,
    labels,
    preset: input.preset ?? null,
    decode: { colorProfile: input.colorProfile ?? undefined, orientation: input.orientation ?? undefined },
    outputKind: input.outputKind ?? null,
  });
}
