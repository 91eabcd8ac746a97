// A private redis-server (Debian's package, installed by .ci/run) on a free port, for scale-out tests.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { startDaemon } from './daemon.js';
import { tmpDir } from './tmp.js';

export const REDIS_BIN = process.env.XAI_REDIS_SERVER || '/usr/bin/redis-server';
export const REDIS_SKIP = `redis-server not found at ${REDIS_BIN} (apt-get install redis-server; .ci/run does)`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis | null> {
  if (!existsSync(REDIS_BIN)) return null;
  const port = await freePort();
  const dir = tmpDir('xai-redis-');
  const daemon = await startDaemon(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], 'Ready to accept connections');
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: daemon.stop,
  };
}
