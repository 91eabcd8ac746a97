// Model registration: everything about the ONNX file is checked before a row is written.
import { realpath, readFile, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import type { App } from '../app.js';
import { checkLabelCount, defaultLabels, labelsFromMetadata, parseLabels } from '../engine/labels.js';
import { decodeModel, type ModelProto } from '../engine/onnx/proto.js';
import { summarizeModel } from '../engine/onnx/inspect.js';
import { inferInputSpec } from '../engine/presets.js';
import { describeSession } from '../engine/session.js';
import type { ClassLabel, InputSpec, OutputKind, PresetName } from '../engine/types.js';
import { ConflictError, fromEngineError, InvalidArgumentError, InvalidModelError } from '../errors.js';
import type { Model } from '../generated/sqlite/client.js';
import { sha256Hex } from '../storage/blobs.js';

export interface RegisterModel {
  bytes: Uint8Array;
  name: string;
  version: string;
  description: string | null;
  labels: { text: string; filename?: string } | null;
  preset: PresetName | null;
  outputKind: OutputKind | null;
  builtin?: boolean;
  /** Used by the built-in demo model, which describes itself exactly. */
  spec?: InputSpec;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Reads a file that must live inside the allow-listed models directory (symlinks resolved). */
export async function readAllowedFile(app: App, path: string, field: string): Promise<Uint8Array> {
  const root = await realpath(app.config.modelsDir).catch(() => null);
  if (!root) throw new InvalidModelError('PATH_NOT_ALLOWED', `no models directory is configured at ${app.config.modelsDir}`);
  const full = await realpath(path.startsWith('/') ? path : `${root}/${path}`).catch(() => null);
  if (!full) throw new InvalidArgumentError(field, `no such file: ${path}`);
  if (!full.startsWith(root + sep)) {
    throw new InvalidModelError('PATH_NOT_ALLOWED', `${path} is outside the models directory ${root}`);
  }
  const s = await stat(full);
  if (!s.isFile()) throw new InvalidArgumentError(field, `${path} is not a file`);
  if (s.size > app.config.limits.maxModelBytes) {
    throw new InvalidModelError('UPLOAD_TOO_LARGE', `${path} is ${s.size} bytes; the limit is ${app.config.limits.maxModelBytes}`);
  }
  return readFile(full);
}

/** A final Softmax means the graph already outputs probabilities. */
function outputKindOf(m: ModelProto, outputName: string): OutputKind {
  const producer = m.graph?.node.find((n) => n.output.includes(outputName));
  return producer?.opType === 'Softmax' ? 'PROBABILITIES' : 'LOGITS';
}

export async function registerModel(app: App, r: RegisterModel): Promise<Model> {
  if (!NAME.test(r.name)) {
    throw new InvalidArgumentError('input.name', 'name must be 1-100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (!NAME.test(r.version)) throw new InvalidArgumentError('input.version', 'version must be 1-100 characters of letters, digits, ".", "_" or "-"');
  if (r.bytes.byteLength > app.config.limits.maxModelBytes) {
    throw new InvalidModelError('UPLOAD_TOO_LARGE', `the model is ${r.bytes.byteLength} bytes; the limit is ${app.config.limits.maxModelBytes}`);
  }
  if (await app.prisma.model.findUnique({ where: { name_version: { name: r.name, version: r.version } } })) {
    throw new ConflictError(`a model named ${r.name} version ${r.version} already exists`);
  }
  try {
    const proto = decodeModel(r.bytes);
    const info = summarizeModel(proto);
    // Validate everything before storing, so a bad model never reaches the store.
    const session = await app.sessions.get(sha256Hex(r.bytes), () => r.bytes);
    const io = describeSession(session);
    const inferred = inferInputSpec(io, r.preset ?? undefined);
    const spec = r.spec ?? inferred.spec;
    const numClasses = inferred.numClasses;
    if (numClasses === null) throw new InvalidModelError('UNSUPPORTED_MODEL', `the output '${io.outputName}' has no fixed class dimension`);
    const labels: ClassLabel[] = r.labels
      ? parseLabels(r.labels.text, r.labels.filename)
      : (labelsFromMetadata(info.metadata) ?? defaultLabels(numClasses));
    checkLabelCount(labels, numClasses);
    const blob = await app.blobs.put('models', r.bytes, '.onnx');
    return await app.prisma.model.create({
      data: {
        name: r.name,
        version: r.version,
        description: r.description,
        sha256: blob.sha256,
        byteSize: blob.byteSize,
        fileKey: blob.key,
        builtin: r.builtin ?? false,
        quantized: info.quantized,
        inputName: spec.inputName,
        outputName: spec.outputName,
        layout: spec.layout,
        channelOrder: spec.channelOrder,
        resizeShorter: spec.resizeShorter,
        inputWidth: spec.width,
        inputHeight: spec.height,
        scale: spec.scale,
        mean: spec.mean,
        std: spec.std,
        outputKind: r.outputKind ?? outputKindOf(proto, spec.outputName),
        numClasses,
        labels: labels as object[],
      },
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'P2002') throw new ConflictError(`a model named ${r.name} version ${r.version} already exists`);
    return fromEngineError(e, 'input.file');
  }
}

export function specOf(m: Model): InputSpec {
  return {
    inputName: m.inputName,
    outputName: m.outputName,
    layout: m.layout as InputSpec['layout'],
    channelOrder: m.channelOrder as InputSpec['channelOrder'],
    resizeShorter: m.resizeShorter,
    width: m.inputWidth,
    height: m.inputHeight,
    scale: m.scale,
    mean: m.mean as InputSpec['mean'],
    std: m.std as InputSpec['std'],
  };
}

/** The cached onnxruntime session of a registered model. */
export function sessionOf(app: App, m: Model) {
  return app.sessions.get(m.sha256, () => app.blobs.localFile(m.fileKey));
}
