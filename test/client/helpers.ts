// Helpers for the client tests: a TCP proxy whose connections can be cut (to drop websockets the way a
// flaky network does), the CLI as a child process, and the demo images.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { XaiClient } from '../../client/sdk/index.ts';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { repoRoot } from '../support/service.js';

export interface TcpProxy {
  url: string;
  port: number;
  /** Live client connections. */
  open(): number;
  /** Destroys every proxied connection in both directions (no close handshake, like a network drop). */
  dropAll(): number;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    open: () => pairs.size,
    dropAll() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.resetAndDestroy?.() ?? a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Waits until the (single) job worker has really stopped after a cancellation, by running a quick
 * Grad-CAM behind it. Closing the service while a worker is still inside inference does not finish
 * (LocalJobQueue.close terminates the worker thread; see the report), so tests that cancel call this.
 */
export async function drainWorker(xai: XaiClient, image: string, model: string): Promise<void> {
  const e = await xai.requestExplanation({ image, model, method: 'GRAD_CAM', force: true });
  const done = await xai.watchExplanation(e.id).done;
  if (done.status !== 'SUCCEEDED') throw new Error(`drain job ${done.status}: ${JSON.stringify(done.error)}`);
}

/** A LIME job on the demo model long enough to interrupt mid-run: 800 samples in batches of 10. */
export async function interruptibleLime(xai: XaiClient, image: string, seed: number) {
  const model = await xai.modelByName('demo-shapes');
  if (!model) throw new Error('no demo-shapes model');
  return xai.requestExplanation({ image, model: model.id, method: 'LIME', seed, parameters: { lime: { numSamples: 800, batchSize: 10 } } });
}

export async function demoImage(name = 'red-square') {
  const img = (await demoImageSet()).find((i) => i.name === name);
  if (!img) throw new Error(`no demo image ${name}`);
  return img;
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr or stdout matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `node --import tsx client/cli/explain.ts …` (or study.ts) as a child process in the repo, the way `npm run explain`
 *  runs it: `cwd` is where the user typed the command (npm passes it as INIT_CWD). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; script?: 'explain' | 'study' } = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, `client/cli/${opts.script ?? 'explain'}.ts`), ...args], {
    cwd: repoRoot,
    env: { ...process.env, INIT_CWD: opts.cwd ?? repoRoot, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (b: Buffer) => {
    out += b;
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b;
    for (const l of listeners) l();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) fail(null);
          else if (child.exitCode !== null) fail(new Error(`CLI exited (${child.exitCode}) before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        };
        const fail = (e: Error | null) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
