// Real service and worker processes for fault tests (kill -9, restarts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './service.js';

export interface ServiceProcess {
  proc: ChildProcess;
  output(): string;
  /** Resolves when a line matching `pattern` has been printed (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnScript(script: 'src/main.ts' | 'src/worker-main.ts', env: Record<string, string>): ServiceProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, script)], {
    cwd: repoRoot,
    env: { ...process.env, XAI_ORT_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a service behind when the test process ends, however it ends.
  process.once('exit', () => proc.kill('SIGKILL'));
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  proc.on('exit', () => {
    for (const l of listeners) l();
  });
  return {
    proc,
    output: () => out,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} in:\n${out}`)), timeoutMs);
        const check = () => {
          const m = out.match(pattern);
          if (m) return done(null, m);
          if (proc.exitCode !== null || proc.signalCode !== null) done(new Error(`process exited before ${pattern}:\n${out}`));
        };
        const done = (err: Error | null, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
  };
}
