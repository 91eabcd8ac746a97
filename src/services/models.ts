// Model registration: everything about the ONNX file is checked before a row is written.
import { realpath, readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { App } from '../app.js';
import { checkLabelCount, defaultLabels, labelsFromMetadata, parseLabels } from '../engine/labels.js';
import { decodeModel, type ModelProto } from '../engine/onnx/proto.js';
import { summarizeModel } from '../engine/onnx/inspect.js';
import { readModelStructure } from '../engine/onnx/structure.js';
import { inferInputSpec } from '../engine/presets.js';
import { describeSession } from '../engine/session.js';
import type { ClassLabel, DecodePolicy, InputSpec, OutputKind, PresetName } from '../engine/types.js';
import { ConflictError, fromEngineError, InvalidArgumentError, InvalidModelError, preview } from '../errors.js';
import type { Model } from '../generated/sqlite/client.js';
import { hashFile, sha256Hex, type LocalFile } from '../storage/blobs.js';

/** The ONNX content: bytes in memory (the built-in demo), or a file on disk (uploads, the models directory). */
export type ModelSource = { bytes: Uint8Array } | { file: LocalFile; /** the file is a temporary upload that may be moved into the store */ move: boolean };

export interface RegisterModel {
  source: ModelSource;
  name: string;
  version: string;
  description: string | null;
  labels: { text: string; filename?: string } | null;
  preset: PresetName | null;
  /** Decoding policies; PIL's (IGNORE) when omitted. */
  decode?: Partial<DecodePolicy>;
  outputKind: OutputKind | null;
  builtin?: boolean;
  /** Used by the built-in demo model, which describes itself exactly. */
  spec?: InputSpec;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Labels are read into memory; 1000 ImageNet labels take about 40 KB. */
export const MAX_LABELS_BYTES = 10 * 1024 * 1024;

/**
 * A file that must live inside the allow-listed models directory (symlinks resolved). Every refusal —
 * missing, outside, a directory, a link leading out — is the same error, so the answer never tells
 * whether something exists outside the directory.
 */
async function allowedPath(app: App, path: string, field: string): Promise<{ full: string; size: number }> {
  const refused = () => new InvalidModelError('PATH_NOT_ALLOWED', `${field} ${preview(path)} is not a file inside the models directory (XAI_MODELS_DIR)`);
  const root = await realpath(app.config.modelsDir).catch(() => null);
  if (!root) throw new InvalidModelError('PATH_NOT_ALLOWED', `no models directory is configured at ${app.config.modelsDir}`);
  const full = await realpath(resolve(root, path)).catch(() => null);
  if (!full || !full.startsWith(root + sep)) throw refused();
  const s = await stat(full).catch(() => null);
  if (!s?.isFile()) throw refused();
  return { full, size: s.size };
}

/** A model file in the models directory, hashed as a stream (it is never read into memory). */
export async function allowedModelFile(app: App, path: string, field: string): Promise<LocalFile> {
  const { full, size } = await allowedPath(app, path, field);
  if (size > app.config.limits.maxModelBytes) {
    throw new InvalidModelError('UPLOAD_TOO_LARGE', `${path} is ${size} bytes; the limit is ${app.config.limits.maxModelBytes}`);
  }
  return hashFile(full);
}

/** A labels file in the models directory, as text. */
export async function allowedLabelsText(app: App, path: string, field: string): Promise<string> {
  const { full, size } = await allowedPath(app, path, field);
  if (size > MAX_LABELS_BYTES) throw new InvalidModelError('INVALID_LABELS', `${path} is ${size} bytes; a labels file may have at most ${MAX_LABELS_BYTES}`);
  return readFile(full, 'utf8');
}

/** What registration needs of the content, from memory or from disk. */
function contentOf(app: App, s: ModelSource) {
  if ('bytes' in s) {
    return {
      sha256: sha256Hex(s.bytes),
      size: s.bytes.byteLength,
      structure: async () => decodeModel(s.bytes),
      runtime: s.bytes,
      store: () => app.blobs.put('models', s.bytes, '.onnx'),
    };
  }
  return {
    sha256: s.file.sha256,
    size: s.file.size,
    // Weights stay on disk: onnxruntime reads the file itself, the inspection skips initializer data.
    structure: () => readModelStructure(s.file.path),
    runtime: s.file.path,
    store: () => app.blobs.putFile('models', s.file, '.onnx', { move: s.move }),
  };
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
  const content = contentOf(app, r.source);
  if (content.size > app.config.limits.maxModelBytes) {
    throw new InvalidModelError('UPLOAD_TOO_LARGE', `the model is ${content.size} bytes; the limit is ${app.config.limits.maxModelBytes}`);
  }
  if (await app.prisma.model.findUnique({ where: { name_version: { name: r.name, version: r.version } } })) {
    throw new ConflictError(`a model named ${r.name} version ${r.version} already exists`);
  }
  try {
    const proto = await content.structure();
    const info = summarizeModel(proto);
    // Validate everything before storing, so a bad model never reaches the store.
    const session = await app.sessions.get(content.sha256, () => content.runtime);
    const io = describeSession(session);
    const inferred = inferInputSpec(io, r.preset ?? undefined, r.decode);
    const spec = r.spec ?? inferred.spec;
    const numClasses = inferred.numClasses;
    if (numClasses === null) throw new InvalidModelError('UNSUPPORTED_MODEL', `the output '${io.outputName}' has no fixed class dimension`);
    const labels: ClassLabel[] = r.labels
      ? parseLabels(r.labels.text, r.labels.filename)
      : (labelsFromMetadata(info.metadata) ?? defaultLabels(numClasses));
    checkLabelCount(labels, numClasses);
    const blob = await content.store();
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
        colorProfile: spec.colorProfile,
        orientation: spec.orientation,
        resizeMode: spec.resizeMode,
        resizeShorter: spec.resizeShorter,
        interpolation: spec.interpolation,
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
    colorProfile: m.colorProfile as InputSpec['colorProfile'],
    orientation: m.orientation as InputSpec['orientation'],
    resizeMode: m.resizeMode as InputSpec['resizeMode'],
    resizeShorter: m.resizeShorter,
    interpolation: m.interpolation as InputSpec['interpolation'],
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
