// PostgreSQL for tests. XAI_TEST_POSTGRES_URL is an admin URL (a role with
// CREATEDB) to a running server; CI gets one from `.ci/postgres.sh`.
//
//   const pgdb = await withPostgres();
//   if (!pgdb) return t.skip(POSTGRES_SKIP_MESSAGE);
//   ... use pgdb.url ...; after(() => pgdb.drop());
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_SKIP_MESSAGE = 'PostgreSQL not configured: set XAI_TEST_POSTGRES_URL (CI sets it)';

export interface TestPostgres {
  /** URL of a fresh, empty database owned by the test role. */
  url: string;
  name: string;
  /** Drops the database (terminating leftover connections). Idempotent. */
  drop(): Promise<void>;
}

export function postgresConfigured(): boolean {
  return !!process.env.XAI_TEST_POSTGRES_URL;
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Creates a uniquely named database for the calling test file
 * (xai_test_<file>_<random>). Returns null when XAI_TEST_POSTGRES_URL is unset:
 * the caller should then `t.skip(POSTGRES_SKIP_MESSAGE)`.
 */
export async function withPostgres(label?: string): Promise<TestPostgres | null> {
  const adminUrl = process.env.XAI_TEST_POSTGRES_URL;
  if (!adminUrl) return null;
  const base = (label ?? path.basename(process.argv[1] ?? 'test'))
    .replace(/\.test\.[cm]?[jt]s$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `xai_test_${base}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(adminUrl, async (c) => {
        // Only client sessions: an autovacuum worker visiting the database is a superuser process the
        // test role may not terminate (42501), and DROP DATABASE stops autovacuum by itself.
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'", [name]);
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      });
    },
  };
}
