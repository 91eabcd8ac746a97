// Prisma CLI config for the SQLite schema (the source of truth), on the
// JavaScript schema engine (prisma/js-engine-config.ts says why).
// The PostgreSQL counterpart is prisma/postgresql/prisma.config.ts.
// Normally invoked through scripts/db.mjs, which sets DATABASE_URL.
// Paths are relative to this file's directory.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { jsEngineConfig } from './prisma/js-engine-config.ts';

export default jsEngineConfig({ schema: 'prisma/schema.prisma', migrations: 'prisma/migrations' }, async () => {
  const url = process.env.DATABASE_URL ?? 'file:./data/xai-lab.db';
  const factory = new PrismaBetterSQLite3({ url });
  // Workaround (Prisma 6.19): for `migrate diff --from-migrations` the schema
  // engine replays each migration.sql on the in-memory shadow database with a
  // single executeRaw(), and better-sqlite3 prepared statements reject
  // multi-statement SQL (P3006 "failed to apply cleanly to the shadow
  // database"). Route parameterless raw executions on the shadow database
  // through executeScript (better-sqlite3's exec), which runs whole scripts.
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connectToShadowDb = async () => {
    const shadow = await connectToShadowDb();
    const executeRaw = shadow.executeRaw.bind(shadow);
    shadow.executeRaw = async (query) => {
      if (query.args.length > 0) return executeRaw(query);
      await shadow.executeScript(query.sql);
      return 0;
    };
    return shadow;
  };
  return factory;
});
