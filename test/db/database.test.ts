import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, Prisma, type Database } from '../../src/db/index.js';
import { tmpDir } from '../support/tmp.js';
import { POSTGRES_SKIP_MESSAGE, withPostgres, type TestPostgres } from '../support/postgres.js';

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    console.log(`# ${label}: ${(performance.now() - t0).toFixed(1)} ms`);
  }
}

async function migrationRows(db: Database) {
  return db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; applied_steps_count: unknown }[]>(
    'SELECT migration_name, checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
  );
}

/** CRUD round trip for every model, Json fields included. */
async function roundTrip(db: Database) {
  const p = db.prisma;
  const image = await p.image.create({
    data: { sha256: 'a'.repeat(64), width: 224, height: 160, format: 'jpeg', originalName: 'cat.jpg', byteSize: 1234, storageKey: 'images/aa/aaaa.jpg' },
  });
  assert.equal(image.originalName, 'cat.jpg');
  assert.ok(image.createdAt instanceof Date);

  const labels = [
    { index: 0, label: 'tench', synset: 'n01440764' },
    { index: 1, label: 'goldfish', synset: 'n01443537' },
  ];
  const model = await p.model.create({
    data: {
      name: 'mobilenet', description: 'test', sha256: 'b'.repeat(64), byteSize: 42, fileKey: 'models/m.onnx', quantized: true,
      inputName: 'input', outputName: 'output', layout: 'NCHW', channelOrder: 'RGB', resizeShorter: 256, inputWidth: 224,
      inputHeight: 224, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], outputKind: 'LOGITS',
      numClasses: 2, labels,
    },
  });
  assert.equal(model.version, '1');
  assert.equal(model.builtin, false);
  assert.deepEqual(model.mean, [0.485, 0.456, 0.406]);
  assert.deepEqual((await p.model.findUniqueOrThrow({ where: { name_version: { name: 'mobilenet', version: '1' } } })).labels, labels);

  const classes = [{ index: 1, label: 'goldfish', synset: 'n01443537', probability: 0.9, logit: 3.5 }];
  const prediction = await p.prediction.create({ data: { imageId: image.id, modelId: model.id, topK: 1, classes, latencyMs: 12.5 } });
  assert.deepEqual((await p.prediction.findUniqueOrThrow({ where: { id: prediction.id } })).classes, classes);

  const explanation = await p.explanation.create({
    data: {
      imageId: image.id, modelId: model.id, method: 'GRAD_CAM', parameters: { layer: 'conv5', nested: { a: [1, 2], b: null } },
      requestKey: 'rk1', seed: 7, targetClasses: [1, 0],
    },
  });
  assert.equal(explanation.status, 'QUEUED');
  assert.equal(explanation.priority, 0);
  assert.equal(explanation.progress, 0);
  assert.equal(explanation.attempts, 0);
  assert.equal(explanation.result, null);
  assert.ok(explanation.queuedAt instanceof Date && explanation.updatedAt instanceof Date);
  const done = await p.explanation.update({
    where: { id: explanation.id },
    data: {
      status: 'SUCCEEDED', progress: 1, stage: 'done', samplesDone: 10, samplesTotal: 10, etaSeconds: 0, attempts: { increment: 1 },
      caption: 'fish', result: { maxSaliency: 0.98, meanSaliency: 0.1 }, startedAt: new Date(), finishedAt: new Date(), durationMs: 33.3,
    },
  });
  assert.deepEqual(done.parameters, { layer: 'conv5', nested: { a: [1, 2], b: null } });
  assert.deepEqual(done.targetClasses, [1, 0]);
  assert.deepEqual(done.result, { maxSaliency: 0.98, meanSaliency: 0.1 });
  assert.equal(done.attempts, 1);
  const queue = await p.explanation.findMany({ where: { status: 'SUCCEEDED', requestKey: 'rk1' }, orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }] });
  assert.equal(queue.length, 1);

  const artifact = await p.artifact.create({
    data: {
      explanationId: explanation.id, kind: 'HEATMAP', name: 'heatmap.png', mediaType: 'image/png', storageKey: 'artifacts/x.png',
      sha256: 'c'.repeat(64), byteSize: 99, width: 7, height: 7, shape: [1, 7, 7],
    },
  });
  await p.artifact.create({
    data: { explanationId: explanation.id, kind: 'RAW', name: 'raw.f32', mediaType: 'application/octet-stream', storageKey: 'artifacts/x.f32', sha256: 'd'.repeat(64), byteSize: 196 },
  });
  assert.deepEqual(artifact.shape, [1, 7, 7]);
  const withArtifacts = await p.explanation.findUniqueOrThrow({ where: { id: explanation.id }, include: { artifacts: { orderBy: { name: 'asc' } }, image: true, model: true } });
  assert.deepEqual(withArtifacts.artifacts.map((a) => a.name), ['heatmap.png', 'raw.f32']);
  assert.equal(withArtifacts.artifacts[1]!.shape, null);
  assert.equal(withArtifacts.image.id, image.id);

  const key = await p.apiKey.create({ data: { name: 'ci', role: 'ADMIN', keyHash: 'e'.repeat(64), prefix: 'xai_abcd' } });
  const revoked = await p.apiKey.update({ where: { keyHash: 'e'.repeat(64) }, data: { revokedAt: new Date() } });
  assert.equal(revoked.id, key.id);
  assert.ok(revoked.revokedAt instanceof Date);

  // Unique constraint → P2002.
  await assert.rejects(
    p.image.create({ data: { sha256: 'a'.repeat(64), width: 1, height: 1, format: 'png', byteSize: 1, storageKey: 'dup' } }),
    (err: unknown) => {
      assert.ok(err instanceof Prisma.PrismaClientKnownRequestError, `expected PrismaClientKnownRequestError, got ${String(err)}`);
      assert.equal(err.code, 'P2002');
      return true;
    },
  );
  // Artifact name unique per explanation.
  await assert.rejects(
    p.artifact.create({ data: { explanationId: explanation.id, kind: 'RAW', name: 'raw.f32', mediaType: 'x', storageKey: 'y', sha256: 'z', byteSize: 1 } }),
    (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002',
  );
  // Foreign keys are enforced.
  await assert.rejects(
    p.prediction.create({ data: { imageId: 'missing', modelId: model.id, topK: 1, classes: [], latencyMs: 1 } }),
    (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError,
  );

  // Cascade: deleting the explanation deletes its artifacts.
  await p.explanation.delete({ where: { id: explanation.id } });
  assert.equal(await p.artifact.count({ where: { explanationId: explanation.id } }), 0);
  assert.equal(await p.artifact.count(), 0);

  // Deletes for the rest.
  await p.prediction.delete({ where: { id: prediction.id } });
  await p.model.delete({ where: { id: model.id } });
  await p.image.delete({ where: { id: image.id } });
  await p.apiKey.deleteMany();
  for (const n of [p.image.count(), p.model.count(), p.prediction.count(), p.explanation.count(), p.apiKey.count()]) assert.equal(await n, 0);
}

describe('database: SQLite', () => {
  const dir = tmpDir();
  const url = `file:${path.join(dir, 'nested', 'dir', 'xai.db')}`;

  test('first open creates the file and the schema', async () => {
    const db = await timed('SQLite open (fresh file, migrate)', () => openDatabase(url));
    try {
      assert.equal(db.provider, 'sqlite');
      assert.ok(existsSync(path.join(dir, 'nested', 'dir', 'xai.db')));
      const rows = await migrationRows(db);
      assert.ok(rows.length >= 1);
      assert.match(rows[0]!.checksum, /^[0-9a-f]{64}$/);
      assert.deepEqual(await db.prisma.$queryRawUnsafe('PRAGMA foreign_keys'), [{ foreign_keys: 1n }]);
      assert.deepEqual(await db.prisma.$queryRawUnsafe('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
    } finally {
      await db.close();
    }
  });

  test('second open is a no-op', async () => {
    const file = url.slice('file:'.length);
    const rows = () => {
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        return raw.prepare('SELECT id, finished_at FROM _prisma_migrations ORDER BY id').all();
      } finally {
        raw.close();
      }
    };
    const before = rows();
    const db = await timed('SQLite open (up to date)', () => openDatabase(url));
    await db.close();
    assert.deepEqual(rows(), before);
  });

  test('plain path (no file: prefix) works', async () => {
    const db = await openDatabase(path.join(dir, 'plain.db'));
    await db.close();
    assert.ok(existsSync(path.join(dir, 'plain.db')));
  });

  test('CRUD round trip, Json fields, P2002, cascade', async () => {
    const db = await openDatabase(url);
    try {
      await roundTrip(db);
    } finally {
      await db.close();
    }
  });

  test('concurrent opens of a fresh file', async () => {
    const u = `file:${path.join(dir, 'concurrent.db')}`;
    const dbs = await Promise.all([openDatabase(u), openDatabase(u)]);
    try {
      assert.equal((await migrationRows(dbs[0])).length, (await migrationRows(dbs[1])).length);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });
});

describe('database: PostgreSQL', () => {
  let pgdb: TestPostgres | null = null;
  const ready = withPostgres().then((x) => (pgdb = x));
  after(async () => {
    await pgdb?.drop();
  });
  const skip = async (t: TestContext) => {
    await ready;
    if (!pgdb) t.skip(POSTGRES_SKIP_MESSAGE);
    return !pgdb;
  };

  test('first open creates the schema', async (t) => {
    if (await skip(t)) return;
    const db = await timed('PostgreSQL open (fresh db, migrate)', () => openDatabase(pgdb!.url));
    try {
      assert.equal(db.provider, 'postgresql');
      const rows = await migrationRows(db);
      assert.ok(rows.length >= 1);
      assert.match(rows[0]!.checksum, /^[0-9a-f]{64}$/);
    } finally {
      await db.close();
    }
  });

  test('second open is a no-op', async (t) => {
    if (await skip(t)) return;
    const db = await timed('PostgreSQL open (up to date)', () => openDatabase(pgdb!.url));
    try {
      const n = (await migrationRows(db)).length;
      const db2 = await openDatabase(pgdb!.url);
      assert.equal((await migrationRows(db2)).length, n);
      await db2.close();
    } finally {
      await db.close();
    }
  });

  test('CRUD round trip, Json fields, P2002, cascade', async (t) => {
    if (await skip(t)) return;
    const db = await openDatabase(pgdb!.url);
    try {
      await roundTrip(db);
    } finally {
      await db.close();
    }
  });

  test('concurrent open of a fresh database by two clients', async (t) => {
    if (await skip(t)) return;
    const fresh = await withPostgres('database_concurrent');
    try {
      const dbs = await Promise.all([openDatabase(fresh!.url), openDatabase(fresh!.url), openDatabase(fresh!.url)]);
      try {
        const counts = await Promise.all(dbs.map(async (d) => (await migrationRows(d)).length));
        assert.ok(counts.every((c) => c === counts[0] && c >= 1), `migration rows: ${counts}`);
        const c = new pg.Client({ connectionString: fresh!.url });
        await c.connect();
        const { rows } = await c.query('SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY 1');
        await c.end();
        assert.ok(rows.every((r) => r.n === 1), 'each migration recorded once');
      } finally {
        await Promise.all(dbs.map((d) => d.close()));
      }
    } finally {
      await fresh!.drop();
    }
  });
});
