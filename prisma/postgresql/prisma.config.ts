// Prisma CLI config for the derived PostgreSQL schema (see prisma.config.ts
// for the SQLite one). Paths below are relative to THIS file's directory (that
// is how Prisma resolves them). Use it as
// `prisma <cmd> --config prisma/postgresql/prisma.config.ts` (scripts/db.mjs does).
// DATABASE_URL must be a postgres:// URL when a command really connects
// (e.g. `prisma migrate deploy` / `migrate status`).
import { PrismaPg } from '@prisma/adapter-pg';
import { jsEngineConfig } from '../js-engine-config.ts';

/**
 * XAI_PRISMA_PG_OFFLINE=1 (set by scripts/db.mjs for generate and
 * datamodel-to-datamodel diffs): the JS schema engine connects even when it
 * only compares two schema files, and its only query is a server-version probe.
 * This stub answers that probe and refuses everything else, so those commands
 * work without a PostgreSQL server. Never used against real data.
 */
function offlineAdapterFactory() {
  const refuse = async (): Promise<never> => {
    throw new Error('XAI_PRISMA_PG_OFFLINE: this command needs a real PostgreSQL server (unset XAI_PRISMA_PG_OFFLINE)');
  };
  const adapter = {
    provider: 'postgres' as const,
    adapterName: '@prisma/adapter-pg',
    async queryRaw(query: { sql: string }) {
      if (/\bversion\(\)/.test(query.sql)) {
        // EXISTS(public namespace) :: Boolean(5), version() :: Text(7), numeric_version :: Int32(0)
        return { columnNames: ['exists', 'version', 'numeric_version'], columnTypes: [5, 7, 0], rows: [[true, 'PostgreSQL 15.0 (offline stub)', 150000]] };
      }
      return refuse();
    },
    executeRaw: refuse,
    executeScript: refuse,
    startTransaction: refuse,
    getConnectionInfo: () => ({ supportsRelationJoins: true }),
    async dispose() {},
  };
  return {
    provider: 'postgres' as const,
    adapterName: '@prisma/adapter-pg',
    connect: async () => adapter,
    connectToShadowDb: async () => adapter,
  };
}

export default jsEngineConfig({ schema: 'schema.prisma', migrations: 'migrations' }, async () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- structural stub, see above
  if (process.env.XAI_PRISMA_PG_OFFLINE === '1') return offlineAdapterFactory() as any;
  // NOTE: `migrate diff --from-migrations` does not work with this adapter in
  // Prisma 6.19 (connectionString overrides the shadow database name, the
  // shadow database is dropped before its pool is closed, and introspection
  // then fails with "Column type 'name' could not be deserialized"); that
  // is why scripts/db.mjs diffs PostgreSQL against committed schema snapshots.
  const connectionString = process.env.DATABASE_URL ?? 'postgresql://localhost:5432/xai';
  return new PrismaPg({ connectionString });
});
