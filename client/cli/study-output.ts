// Writes a finished study to a folder: `study-cells.json` (images, models, methods, every cell with its
// explanation's parameters, result and artifact files) and each cell's artifacts under
// `cells/<row>-<image>/<model>/<method key>/`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StudyExplanationsQuery, StudyQuery, XaiError, type ResultOf, type XaiClient } from '../sdk/index.ts';

type ExplanationNode = Extract<NonNullable<ResultOf<typeof StudyExplanationsQuery>['nodes'][number]>, { method: unknown }>;

/** A file or folder name from any text: no separators, no leading dots. */
export const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || '_';

async function explanationsOf(xai: XaiClient, ids: string[]): Promise<Map<string, ExplanationNode>> {
  const found = new Map<string, ExplanationNode>();
  for (let i = 0; i < ids.length; i += 100) {
    const { nodes } = await xai.query(StudyExplanationsQuery, { ids: ids.slice(i, i + 100) });
    for (const n of nodes) if (n && 'method' in n) found.set(n.id, n);
  }
  return found;
}

export async function writeStudyResults(xai: XaiClient, id: string, dir: string): Promise<{ files: number; failures: string[] }> {
  const study = (await xai.query(StudyQuery, { id })).study;
  if (!study) throw new XaiError('NOT_FOUND', `study ${id} does not exist`);
  const digits = String(study.images.length).length;
  const rows = new Map(study.images.map((i) => [i.image.id, { ...i, folder: `${String(i.position + 1).padStart(digits, '0')}-${safeName(i.image.originalName ?? 'image')}` }]));
  const models = new Map(study.models.map((m) => [m.id, m]));
  const explanations = await explanationsOf(xai, study.cells.flatMap((c) => (c.explanation ? [c.explanation.id] : [])));
  await mkdir(dir, { recursive: true });
  let files = 0;
  const failures: string[] = [];
  const cells = [];
  for (const c of study.cells) {
    const row = rows.get(c.image.id)!;
    const model = models.get(c.model.id)!;
    const e = c.explanation ? explanations.get(c.explanation.id) : undefined;
    const where = `${row.image.originalName ?? row.folder} × ${model.name} × ${c.methodKey}`;
    if (c.state === 'FAILED') failures.push(`${where}: ${e?.error?.code ?? 'ERROR'}: ${e?.error?.message ?? 'no message'}`);
    const folder = path.join('cells', row.folder, safeName(`${model.name}-${model.version}`), safeName(c.methodKey));
    const artifacts = [];
    if (e?.status === 'SUCCEEDED') {
      await mkdir(path.join(dir, folder), { recursive: true });
      for (const a of e.artifacts) {
        const file = path.join(folder, safeName(path.basename(a.name)));
        await writeFile(path.join(dir, file), await xai.download(a.url));
        files++;
        artifacts.push({ ...a, url: xai.fileUrl(a.url), file });
      }
    }
    cells.push({ image: row.image.id, model: model.id, methodKey: c.methodKey, state: c.state, explanation: e ? { ...e, artifacts } : null });
  }
  const { cells: _live, ...rest } = study;
  await writeFile(path.join(dir, 'study-cells.json'), `${JSON.stringify({ ...rest, images: [...rows.values()], cells }, null, 2)}\n`);
  return { files: files + 1, failures };
}
