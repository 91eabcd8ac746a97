// The studies migration on a database that holds explanations with free-text study names, on SQLite
// and PostgreSQL: every name becomes a Study (no owner) with its images, models, methods (one per
// distinct method and parameters) and cells (the newest explanation of each), read over the API.
import assert from 'node:assert/strict';
import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../src/db/index.js';
import { POSTGRES_SKIP_MESSAGE, withPostgres } from '../support/postgres.js';
import { repoRoot, startTestService } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';

/** The migrations up to (not including) the studies migration. */
function migrationsBeforeStudies(provider: 'sqlite' | 'postgresql'): string {
  const src = provider === 'sqlite' ? path.join(repoRoot, 'prisma/migrations') : path.join(repoRoot, 'prisma/postgresql/migrations');
  const dst = tmpDir('xai-old-migrations-');
  for (const name of readdirSync(src).sort()) {
    if (name.endsWith('_studies')) break;
    cpSync(path.join(src, name), path.join(dst, name), { recursive: true });
  }
  return dst;
}

const LIME5 = { target: { kind: 'TOP', k: 1 }, lime: { numSamples: 100, numFeatures: 5 } };
const LIME10 = { target: { kind: 'TOP', k: 1 }, lime: { numSamples: 100, numFeatures: 10 } };
const CAM = { target: { kind: 'TOP', k: 1 }, cam: { targetLayer: null } };

/** Old rows: two named studies and one explanation without a study. Returns the explanation ids by role. */
async function seedOldRows(url: string, provider: 'sqlite' | 'postgresql') {
  const db = await openDatabase(url, { migrationsDir: migrationsBeforeStudies(provider) });
  try {
    const p = db.prisma;
    const img = (n: number) =>
      p.image.create({ data: { sha256: String(n).repeat(64), width: 10, height: 10, format: 'png', originalName: `i${n}.png`, byteSize: 1, storageKey: `images/${n}.png` } });
    const [i1, i2] = [await img(1), await img(2)];
    const model = await p.model.create({
      data: {
        name: 'm', sha256: 'c'.repeat(64), byteSize: 1, fileKey: 'models/m.onnx', quantized: false, inputName: 'x', outputName: 'y', layout: 'NCHW',
        channelOrder: 'RGB', inputWidth: 8, inputHeight: 8, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], outputKind: 'LOGITS', numClasses: 2, labels: [],
      },
    });
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    let k = 0;
    // Today's client knows neither the old column nor the old table shape: plain SQL.
    const ph = (n: number) => (provider === 'sqlite' ? '?' : `$${n}`);
    const explanation = async (image: { id: string }, method: string, parameters: object, status: string, study: string | null) => {
      const id = `old${k}`;
      const at = new Date(t0 + k * 1000);
      await p.$executeRawUnsafe(
        `INSERT INTO "Explanation" ("id", "imageId", "modelId", "method", "parameters", "requestKey", "targetClasses", "status", "study", "createdAt", "queuedAt", "updatedAt")
         VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(ph).join(', ')})`,
        id, image.id, model.id, method, JSON.stringify(parameters), `rk${k}`, '[]', status, study, at, at, at,
      );
      k++;
      return id;
    };
    const ids = {
      camOld: await explanation(i1, 'GRAD_CAM', CAM, 'SUCCEEDED', 'seed doc'),
      cam2: await explanation(i2, 'GRAD_CAM', CAM, 'SUCCEEDED', 'seed doc'),
      lime5: await explanation(i1, 'LIME', LIME5, 'SUCCEEDED', 'seed doc'),
      lime10: await explanation(i1, 'LIME', LIME10, 'FAILED', 'seed doc'),
      camNew: await explanation(i1, 'GRAD_CAM', CAM, 'SUCCEEDED', 'seed doc'),
      running: await explanation(i2, 'LIME', LIME5, 'RUNNING', 'other'),
      none: await explanation(i1, 'EIGEN_CAM', CAM, 'SUCCEEDED', null),
    };
    return { ids, images: [i1.id, i2.id], model: model.id };
  } finally {
    await db.close();
  }
}

const QUERY = `{ studies(first: 10) { edges { node {
  name createdBy state
  images { position image { originalName } }
  models { name }
  methods { key method label target parameters }
  cells { methodKey state image { originalName } explanation { id } }
  explanations(first: 20) { edges { node { id } } }
} } } }`;

async function checkMigrated(databaseUrl: string, seeded: Awaited<ReturnType<typeof seedOldRows>>) {
  const svc = await startTestService({ databaseUrl, seed: false });
  try {
    const r = await svc.gql(QUERY);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const byName = new Map(r.data.studies.edges.map((e: any) => [e.node.name, e.node]));
    assert.deepEqual([...byName.keys()].sort(), ['other', 'seed doc']);
    const seed: any = byName.get('seed doc');
    const other: any = byName.get('other');
    assert.equal(seed.createdBy, null, 'migrated studies have no owner: admins only may change them');
    assert.equal(seed.state, 'FAILED', 'one of its explanations failed');
    assert.equal(other.state, 'RUNNING');
    assert.deepEqual(seed.images.map((i: any) => [i.position, i.image.originalName]), [[0, 'i1.png'], [1, 'i2.png']]);
    assert.deepEqual(seed.models.map((m: any) => m.name), ['m']);
    assert.deepEqual(seed.methods.map((m: any) => [m.key, m.method, m.label]), [['grad-cam', 'GRAD_CAM', 'GRAD_CAM'], ['lime', 'LIME', 'LIME'], ['lime-2', 'LIME', 'LIME 2']]);
    assert.deepEqual(seed.methods[1].parameters, LIME5);
    assert.equal(seed.methods[1].target, null);
    const { decodeGlobalID } = await import('@pothos/plugin-relay');
    const local = (id: string) => decodeGlobalID(id).id;
    const cells = seed.cells.map((c: any) => [c.image.originalName, c.methodKey, c.state, local(c.explanation.id)]);
    assert.deepEqual(cells.sort(), [
      ['i1.png', 'grad-cam', 'SUCCEEDED', seeded.ids.camNew],
      ['i1.png', 'lime', 'SUCCEEDED', seeded.ids.lime5],
      ['i1.png', 'lime-2', 'FAILED', seeded.ids.lime10],
      ['i2.png', 'grad-cam', 'SUCCEEDED', seeded.ids.cam2],
    ].sort(), 'the newest explanation of each image, model and method is the cell');
    const filed = seed.explanations.edges.map((e: any) => local(e.node.id)).sort();
    assert.deepEqual(filed, [seeded.ids.camOld, seeded.ids.cam2, seeded.ids.lime5, seeded.ids.lime10, seeded.ids.camNew].sort(), 'every explanation of the name is filed under its study');
    assert.deepEqual(other.cells.map((c: any) => [c.methodKey, c.state]), [['lime', 'RUNNING']]);
    const none = (await svc.gql(`query($id: ID!) { node(id: $id) { ... on Explanation { study { id } } } }`, { id: Buffer.from(`Explanation:${seeded.ids.none}`).toString('base64') })).data.node;
    assert.equal(none.study, null);
  } finally {
    await svc.close();
  }
}

describe('migrating free-text study names to studies', () => {
  test('SQLite', async () => {
    const url = `file:${path.join(tmpDir('xai-study-migration-'), 'old.db')}`;
    const seeded = await seedOldRows(url, 'sqlite');
    await checkMigrated(url, seeded);
  });

  test('PostgreSQL', async (t) => {
    const pgdb = await withPostgres();
    if (!pgdb) return t.skip(POSTGRES_SKIP_MESSAGE);
    after(() => pgdb.drop());
    const seeded = await seedOldRows(pgdb.url, 'postgresql');
    await checkMigrated(pgdb.url, seeded);
  });
});
