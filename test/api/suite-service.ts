// The service of one describe() block, as the API and job tests set it up: started in a before()
// hook (optionally with an in-process job queue of its own settings, on a database that may not be
// configured), closed in an after() hook, with the ids of the demo rows most tests work on.
import { after, before } from 'node:test';
import { LocalJobQueue } from '../../src/jobs/local-queue.js';
import { startTestService, type TestService } from '../support/service.js';

type StartOptions = NonNullable<Parameters<typeof startTestService>[0]>;
type QueueOptions = NonNullable<Parameters<typeof LocalJobQueue.start>[1]>;

export interface SuiteOptions extends StartOptions {
  /** Runs jobs in process with these settings over the configured ones (`jobs: true` takes them as configured). */
  queue?: Partial<QueueOptions>;
  /** Looks up `demo` once started: this demo image (by file name), or the first one. */
  demoImage?: string | true;
}

export interface DemoIds {
  image: string;
  model: string;
}

/** A TestService once the suite's before() hook has run; use it in hooks and tests, not at definition time. */
export interface SuiteService extends TestService {
  /** Why there is no service (a per-database suite whose database is not configured); tests then skip. */
  readonly skipped: string | null;
  /** The demo image and model (with `demoImage`). */
  readonly demo: DemoIds;
}

/** The ids of a demo image (the one of that file name, else the first) and of the first model. */
export async function demoIds(svc: TestService, imageName?: string, key?: string): Promise<DemoIds> {
  const d = (await svc.gql(`{ images { edges { node { id originalName } } } models { edges { node { id } } } }`, {}, { key })).data;
  const images: { node: { id: string; originalName: string | null } }[] = d.images.edges;
  const image = imageName ? images.find((e) => e.node.originalName === imageName) : images[0];
  if (!image) throw new Error(`no demo image ${imageName}`);
  return { image: image.node.id, model: d.models.edges[0].node.id };
}

/** `options` may be computed in the hook; a string there is the reason to skip. */
export function suiteService(options: SuiteOptions | (() => Promise<SuiteOptions | string>) = {}): SuiteService {
  let svc: TestService | null = null;
  let skipped: string | null = null;
  let demo: DemoIds | null = null;
  before(async () => {
    const o = typeof options === 'function' ? await options() : options;
    if (typeof o === 'string') {
      skipped = o;
      return;
    }
    const { queue, demoImage, ...start } = o;
    svc = await startTestService(start);
    if (queue) svc.app.jobs = await LocalJobQueue.start(svc.app, { ...svc.app.config.jobs, ...queue });
    if (demoImage) demo = await demoIds(svc, demoImage === true ? undefined : demoImage);
  });
  after(async () => svc?.close());
  const started = (): TestService => {
    if (!svc) throw new Error(skipped ?? 'the suite service is used before its before() hook ran');
    return svc;
  };
  return {
    get app() {
      return started().app;
    },
    get server() {
      return started().server;
    },
    get url() {
      return started().url;
    },
    get dataDir() {
      return started().dataDir;
    },
    get skipped() {
      return skipped;
    },
    get demo() {
      if (!demo) throw new Error('no demo ids: start the suite service with demoImage');
      return demo;
    },
    gql: (query, variables, opts) => started().gql(query, variables, opts),
    upload: (query, variables, files, opts) => started().upload(query, variables, files, opts),
    close: async () => svc?.close(),
  };
}

/** A suite run once per database: `databaseUrl` gives null when that database is not configured. */
export function databaseSuiteService(databaseUrl: () => Promise<string | null>, skipMessage: string, options: SuiteOptions = {}): SuiteService {
  return suiteService(async () => {
    const url = await databaseUrl();
    // An empty URL means the default database (a SQLite file in the data directory).
    return url === null ? skipMessage : { ...options, databaseUrl: url || undefined };
  });
}
