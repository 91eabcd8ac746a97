import type { Context } from '../context.js';
import type { OutputKind, PresetName } from '../engine/types.js';
import { InvalidArgumentError } from '../errors.js';
import { readAllowedFile, registerModel as register } from '../services/models.js';

interface RegisterModelArgs {
  input: {
    name: string;
    version?: string | null;
    description?: string | null;
    file?: File | null;
    path?: string | null;
    labelsFile?: File | null;
    labelsPath?: string | null;
    preset?: PresetName | null;
    outputKind?: OutputKind | null;
  };
}

export async function registerModel(_root: unknown, { input }: RegisterModelArgs, ctx: Context) {
  const { app } = ctx;
  if (!!input.file === !!input.path) throw new InvalidArgumentError('input.file', 'give exactly one of input.file (upload) or input.path');
  if (input.labelsFile && input.labelsPath) throw new InvalidArgumentError('input.labelsFile', 'give at most one of labelsFile or labelsPath');
  const onnx = input.file
    ? { bytes: new Uint8Array(await input.file.arrayBuffer()) }
    : { bytes: await readAllowedFile(app, input.path!, 'input.path') };
  const labels = input.labelsFile
    ? { text: await input.labelsFile.text(), filename: input.labelsFile.name }
    : input.labelsPath
      ? { text: Buffer.from(await readAllowedFile(app, input.labelsPath, 'input.labelsPath')).toString('utf8'), filename: input.labelsPath }
      : null;
  return register(app, {
    bytes: onnx.bytes,
    name: input.name,
    version: input.version ?? '1',
    description: input.description ?? null,
    labels,
    preset: input.preset ?? null,
    outputKind: input.outputKind ?? null,
  });
}
