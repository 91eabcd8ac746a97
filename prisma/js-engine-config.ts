// What both Prisma CLI configs (SQLite: ../prisma.config.ts, PostgreSQL: postgresql/prisma.config.ts)
// share: Prisma 6.19's JavaScript schema engine (engine: 'js' + a driver adapter), which works fully
// offline, where the classic Rust schema engine would need a download. Paths are relative to the
// directory of the config file that calls this.
import { defineConfig, type PrismaConfig } from 'prisma/config';

type JsEngineAdapter = Extract<PrismaConfig, { engine: 'js' }>['adapter'];

export function jsEngineConfig(paths: { schema: string; migrations: string }, adapter: JsEngineAdapter) {
  return defineConfig({ experimental: { adapter: true }, engine: 'js', schema: paths.schema, migrations: { path: paths.migrations }, adapter });
}
