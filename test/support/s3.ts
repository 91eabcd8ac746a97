// A real S3-compatible server in its own process (s3rver, an npm dev dependency: no S3 server is
// packaged for Debian here), so the artifact store is exercised over HTTP with signed requests.
import path from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './redis.js';
import { repoRoot } from './service.js';
import { tmpDir } from './tmp.js';

export const S3_BUCKET = 'xai-test';

export interface TestS3 {
  endpoint: string;
  /** The service's environment for this server, with `prefix` inside the bucket. */
  env(prefix?: string): Record<string, string>;
  stop(): Promise<void>;
  /** Starts again on the same port and data: objects written before are still there. */
  restart(): Promise<void>;
}

export async function startS3(): Promise<TestS3> {
  const dir = tmpDir('xai-s3-');
  const port = await freePort();
  let daemon: Daemon | null = null;
  const bin = path.join(repoRoot, 'node_modules/s3rver/bin/s3rver.js');
  const start = async () => {
    const args = [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', S3_BUCKET];
    daemon = await startDaemon(process.execPath, args, 'S3rver listening');
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => daemon?.stop();
  return {
    endpoint,
    env: (prefix = '') => ({
      XAI_ARTIFACT_STORE: `s3://${S3_BUCKET}${prefix ? `/${prefix}` : ''}`,
      XAI_S3_ENDPOINT: endpoint,
      // s3rver's fixed credentials.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    stop,
    async restart() {
      await stop();
      await start();
    },
  };
}
