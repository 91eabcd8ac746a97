// Opens the application database (SQLite or PostgreSQL, chosen by URL) and
// applies the committed Prisma migrations before returning a client.
//
//   const db = await openDatabase(process.env.DATABASE_URL ?? 'file:./data/xai-lab.db');
//   await db.prisma.image.findMany();
//   await db.close();
//
// Migrations are applied IN-PROCESS, not by spawning `prisma migrate deploy`:
//   * measured here (Node 20, local disk): `prisma migrate deploy` as a child
//     process takes ~1.0 s for SQLite (CLI start-up + wasm schema engine) on
//     every start, also when there is nothing to do. openDatabase() on a fresh
//     SQLite file: ~8-25 ms, ~75 ms for the first open in a process (which also
//     loads the client's wasm query compiler); on an up-to-date file ~10-15 ms.
//     PostgreSQL (local server): ~140 ms fresh, ~30 ms up to date.
//     (test/db/database.test.ts prints the current numbers);
//   * `prisma migrate deploy` with @prisma/adapter-pg 6.19 does not work at all
//     on PostgreSQL ("Column type 'name' could not be deserialized").
// The migrator applies prisma/<provider>/migrations/*/migration.sql in name
// order, each in its own transaction together with its bookkeeping row in
// Prisma's own `_prisma_migrations` table (same DDL, same sha256 checksum of
// the file, same timestamp format), so `prisma migrate deploy`/`status` see
// the database as migrated by Prisma itself.
//   * SQLite: serialized with BEGIN IMMEDIATE (busy_timeout waits for another
//     process); foreign_keys is switched off around the migration and
//     `PRAGMA foreign_key_check` run before COMMIT, the procedure SQLite
//     documents for table redefinitions (Prisma's RedefineTables scripts rely
//     on it; inside a transaction `PRAGMA foreign_keys` would be a no-op and a
//     DROP TABLE would run cascading deletes).
//   * PostgreSQL: serialized with pg_advisory_lock(72707369), the same key
//     Prisma Migrate uses, so concurrent starts (and a concurrent CLI) queue up.
// It refuses to start when a migration is recorded as failed or an applied
// migration.sql was edited (checksum mismatch).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqlitePrismaClient } from '../generated/sqlite/client.js';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client.js';

/**
 * The one client type the app uses, for both providers. It is the SQLite
 * client's type; the PostgreSQL client is cast to it in openDatabase().
 * That is sound because prisma/postgresql/schema.prisma is derived
 * mechanically from prisma/schema.prisma (only provider and output differ),
 * so both generated clients have the same models, fields, scalar types and
 * relations; `scripts/db.mjs check` guards the derivation. The only
 * differences are provider-specific query options that exist solely on the
 * PostgreSQL side (e.g. `mode: 'insensitive'` string filters) which the app
 * therefore cannot use.
 */
export type PrismaClient = SqlitePrismaClient;
/** Namespace with the model/input types and the error classes (`Prisma.PrismaClientKnownRequestError`).
 * Both generated clients share one runtime (@prisma/client/runtime/client), so
 * `instanceof` checks work for errors thrown by either provider. */
export { Prisma } from '../generated/sqlite/client.js';

export type Provider = 'sqlite' | 'postgresql';

export interface Database {
  prisma: PrismaClient;
  provider: Provider;
  /** Calls `listener` with every SQL statement the client sends; returns the unsubscribe. */
  onQuery(listener: (sql: string) => void): () => void;
  close(): Promise<void>;
}

// Query events cost one callback per statement; they let tests count what a request sends.
const QUERY_EVENTS = { log: [{ emit: 'event' as const, level: 'query' as const }] };

function database(prisma: PrismaClient, provider: Provider): Database {
  const listeners = new Set<(sql: string) => void>();
  (prisma as unknown as { $on(e: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) => {
    for (const l of listeners) l(e.query);
  });
  return {
    prisma,
    provider,
    onQuery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => prisma.$disconnect(),
  };
}

export interface OpenDatabaseOptions {
  /** Override the migrations directory (default: prisma/migrations or prisma/postgresql/migrations). */
  migrationsDir?: string;
  /** SQLite busy timeout in ms (default 5000). */
  busyTimeoutMs?: number;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const MIGRATIONS: Record<Provider, string> = {
  sqlite: path.join(repoRoot, 'prisma', 'migrations'),
  postgresql: path.join(repoRoot, 'prisma', 'postgresql', 'migrations'),
};
/** Prisma Migrate's advisory lock key (schema-engine: ADVISORY_LOCK_TIMEOUT / 72707369). */
const PRISMA_ADVISORY_LOCK = 72707369;

export function providerOf(url: string): Provider {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgresql' : 'sqlite';
}

/** `file:./x.db`, `file:/abs/x.db`, `./x.db` → absolute file path (query string dropped). */
export function sqlitePath(url: string): string {
  let p = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (p.startsWith('//')) p = fileURLToPath(`file:${p}`);
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (!p) throw new Error(`invalid SQLite database URL: ${url}`);
  return path.resolve(p);
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const provider = providerOf(url);
  const migrationsDir = options.migrationsDir ?? MIGRATIONS[provider];
  const migrations = readMigrations(migrationsDir);

  if (provider === 'sqlite') {
    const file = sqlitePath(url);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    mkdirSync(path.dirname(file), { recursive: true });
    migrateSqlite(file, migrations, busyTimeoutMs);
    // better-sqlite3's `timeout` is SQLite's busy_timeout; WAL is persistent
    // in the file (set by migrateSqlite); foreign_keys is per connection.
    const adapter = new PrismaBetterSQLite3({ url: file, timeout: busyTimeoutMs });
    const prisma = new SqlitePrismaClient({ adapter, ...QUERY_EVENTS }) as unknown as PrismaClient;
    await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    return database(prisma, provider);
  }

  await migratePostgres(url, migrations);
  const adapter = new PrismaPg({ connectionString: url });
  // Cast: see the comment on the PrismaClient type above.
  const prisma = new PostgresPrismaClient({ adapter, ...QUERY_EVENTS }) as unknown as PrismaClient;
  return database(prisma, provider);
}

// ---------------------------------------------------------------- migrations

interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, exactly as Prisma computes it. */
  checksum: string;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new Error(`migrations directory not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Returns the migrations still to apply; throws on failed or edited ones. */
function pending(migrations: Migration[], rows: AppliedRow[]): Migration[] {
  const applied = new Map<string, AppliedRow>();
  for (const r of rows) {
    if (r.rolled_back_at != null) continue; // rolled back (`prisma migrate resolve`): may be re-applied
    if (r.finished_at == null) {
      throw new Error(
        `database migration ${r.migration_name} is recorded as failed/in progress; ` +
          'fix the database and mark it with `prisma migrate resolve` before starting',
      );
    }
    applied.set(r.migration_name, r);
  }
  for (const m of migrations) {
    const r = applied.get(m.name);
    if (r && r.checksum !== m.checksum) {
      throw new Error(`migration ${m.name} was modified after it was applied (checksum mismatch)`);
    }
  }
  return migrations.filter((m) => !applied.has(m.name));
}

// Identical to the table Prisma's schema engine creates (sql_migration_persistence).
const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const PG_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma stores SQLite timestamps as RFC 3339 text: 2026-01-02T03:04:05.678+00:00 */
function sqliteTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

function migrateSqlite(file: string, migrations: Migration[], busyTimeoutMs: number): void {
  const db = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec(SQLITE_MIGRATIONS_TABLE);
    db.pragma('foreign_keys = OFF');
    const read = () =>
      db.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"').all() as AppliedRow[];
    for (;;) {
      db.exec('BEGIN IMMEDIATE'); // takes the write lock: concurrent openers wait here
      try {
        const next = pending(migrations, read())[0];
        if (!next) {
          db.exec('COMMIT');
          break;
        }
        const startedAt = sqliteTimestamp(new Date());
        db.exec(next.sql);
        const violations = db.pragma('foreign_key_check') as unknown[];
        if (violations.length) throw new Error(`migration ${next.name} leaves foreign key violations: ${JSON.stringify(violations.slice(0, 5))}`);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        ).run(randomUUID(), next.checksum, sqliteTimestamp(new Date()), next.name, startedAt);
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    }
    db.pragma('foreign_keys = ON');
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    try {
      await client.query(PG_MIGRATIONS_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
      );
      for (const m of pending(migrations, rows)) {
        await client.query('BEGIN');
        try {
          const startedAt = new Date();
          await client.query(m.sql); // no parameters: simple protocol, runs the whole script
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
             VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
            [randomUUID(), m.checksum, m.name, startedAt],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`applying migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}
