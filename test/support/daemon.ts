// A server program started for a test (redis-server, s3rver): resolves once it prints that it is ready.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Daemon {
  proc: ChildProcess;
  /** Kills it (SIGKILL, like a crash) and waits for the exit; safe to call twice. */
  stop(): Promise<void>;
}

export async function startDaemon(command: string, args: string[], readyText: string): Promise<Daemon> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => proc.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes(readyText)) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready: ${out}`)));
  });
  return {
    proc,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
