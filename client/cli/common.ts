// What `npm run explain` and `npm run study` share: exit codes, paths relative to where the user typed
// the command, finding models by name, uploading files, and running a command with one SDK client.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { createXaiClient, isXaiError, XaiError, type ModelData, type XaiClient } from '../sdk/index.ts';
import { UsageError, type Common } from './args.ts';
import { createProgress, type ProgressEvent } from './progress.ts';

export const EXIT = { OK: 0, JOB_FAILED: 1, USAGE: 2 } as const;

// `npm run explain` runs in the package root; paths on the command line are relative to where the user
// typed it (npm passes that directory as INIT_CWD).
export const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);

export const out = (s = '') => process.stdout.write(`${s}\n`);
export const err = (s: string) => process.stderr.write(`${s}\n`);

export async function findModel(xai: XaiClient, name: string, version?: string): Promise<ModelData> {
  const model = await xai.modelByName(name, version);
  if (model) return model;
  const names = (await xai.models({ first: 100 })).edges.map((e) => `${e.node.name}:${e.node.version}`);
  throw new XaiError('NOT_FOUND', `no model named "${name}"${version ? ` version ${version}` : ''}; registered: ${names.join(', ') || 'none'}`);
}

export async function upload(xai: XaiClient, file: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(userPath(file));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return xai.uploadImage(bytes, path.basename(file));
}

/** The database id inside a Relay global id (`Explanation:<id>`), safe as a directory name. */
export function localId(globalId: string): string {
  try {
    const decoded = Buffer.from(globalId, 'base64').toString('utf8');
    const m = /^[A-Za-z]+:([A-Za-z0-9_-]+)$/.exec(decoded);
    if (m) return m[1];
  } catch {
    /* not base64 */
  }
  return globalId.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Runs `run` with a client for `common`; usage and API errors are printed as `<prog>: CODE: message` (exit 2). */
export async function withClient(prog: string, common: Common, run: (xai: XaiClient) => Promise<number>): Promise<number> {
  const xai = createXaiClient({ url: common.url, apiKey: common.apiKey, WebSocket, retryAttempts: 20 });
  try {
    return await run(xai);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${prog}: ${e.message}`);
      return EXIT.USAGE;
    }
    if (isXaiError(e)) {
      err(`${prog}: ${e.code}: ${e.message}`);
      return EXIT.USAGE;
    }
    throw e;
  } finally {
    await xai.dispose().catch(() => {});
  }
}

/**
 * Ctrl-C policy: by default the first Ctrl-C cancels (`cancel`) and keeps waiting for the final state;
 * without cancelOnInterrupt, or on a second Ctrl-C, it exits at once (code 130) and the work goes on.
 */
export function interruptHandler(o: { what: string; cancelOnInterrupt: boolean; note: (msg: string) => void; stop: () => void; cancel: () => Promise<unknown> }) {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted || !o.cancelOnInterrupt) {
      o.note(interrupted ? 'interrupted again: exiting' : `interrupted: ${o.what} keeps running on the server`);
      o.stop();
      process.exit(130);
    }
    interrupted = true;
    o.note(`interrupted: cancelling the ${o.what.split(' ')[0]} (Ctrl-C again to quit without waiting)`);
    o.cancel().catch((e) => {
      o.note(`cancel failed: ${(e as Error).message}`);
      process.exit(EXIT.JOB_FAILED);
    });
  };
  process.on('SIGINT', onSigint);
  return { cancelling: () => interrupted, remove: () => process.off('SIGINT', onSigint) };
}

/**
 * Waits for a job's final state with a progress line on stderr and the Ctrl-C policy above; `cancelling`
 * tells whether this process cancelled it.
 */
export async function followToEnd<T>(o: {
  what: string;
  cancelOnInterrupt: boolean;
  watch: (onUpdate: (state: T) => void) => { done: Promise<T>; stop: () => void };
  progressOf: (state: T) => ProgressEvent;
  cancel: () => Promise<unknown>;
}): Promise<{ final: T; cancelling: boolean }> {
  const progress = createProgress(process.stderr);
  const watch = o.watch((state) => progress.update(o.progressOf(state)));
  const interrupt = interruptHandler({ what: o.what, cancelOnInterrupt: o.cancelOnInterrupt, note: progress.note, stop: watch.stop, cancel: o.cancel });
  try {
    const final = await watch.done;
    return { final, cancelling: interrupt.cancelling() };
  } finally {
    interrupt.remove();
    progress.done();
  }
}

/**
 * A command's `main`: parses (a UsageError prints the usage, exit 2), answers --help, then runs the
 * command with a client. `runIfEntry` runs it when the module is the script node was started with.
 */
export function cliMain<C extends { kind: string; common?: Common }>(
  prog: string,
  usage: string,
  parse: (argv: string[], env: Record<string, string | undefined>) => C,
  run: (xai: XaiClient, cmd: Exclude<C, { kind: 'help' }>) => Promise<number>,
) {
  return async (argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> => {
    let cmd: C;
    try {
      cmd = parse(argv, env);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      err(`${prog}: ${e.message}\n\n${usage}`);
      return EXIT.USAGE;
    }
    if (cmd.kind === 'help' || !cmd.common) {
      out(usage);
      return EXIT.OK;
    }
    return withClient(prog, cmd.common, (xai) => run(xai, cmd as Exclude<C, { kind: 'help' }>));
  };
}

export function runIfEntry(moduleUrl: string, prog: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      err(`${prog}: unexpected error: ${(e as Error).stack ?? e}`);
      process.exit(EXIT.USAGE);
    },
  );
}
