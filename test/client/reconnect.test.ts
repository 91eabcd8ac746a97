// watchExplanation survives dropped websockets: (1) every TCP connection cut mid-job by a proxy in
// front of the service, (2) the service killed with SIGKILL and started again on the same port with the
// same data directory. In both cases the watcher still receives the terminal event, with no error.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import { createXaiClient, type ExplanationData } from '../../client/sdk/index.ts';
import { spawnScript, type ServiceProcess } from '../support/processes.js';
import { startTestService } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';
import { demoImage, interruptibleLime, tcpProxy } from './helpers.ts';

const fastRetry = (n: number) => new Promise<void>((r) => setTimeout(r, Math.min(1000, 100 * 2 ** n)));

test('a websocket cut mid-job (every connection reset) is invisible: the watcher gets the terminal event', async (t) => {
  const svc = await startTestService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1' } });
  const proxy = await tcpProxy(svc.server.port);
  const states: string[] = [];
  const xai = createXaiClient({ url: proxy.url, WebSocket, retryWait: fastRetry, onConnectionChange: (s) => states.push(s) });
  t.after(async () => {
    await xai.dispose();
    await proxy.close();
    await svc.close();
  });

  const img = await demoImage('green-disc');
  const image = await xai.uploadImage(img.png, 'green-disc.png');
  const requested = await interruptibleLime(xai, image.id, 21);

  const events: ExplanationData[] = [];
  let drops = 0;
  const watch = xai.watchExplanation(requested.id, (e) => {
    events.push(e);
    // Cut the connection twice while the job runs.
    if (e.status === 'RUNNING' && drops < 2 && e.progress > 0.15 * (drops + 1)) {
      drops++;
      setImmediate(() => assert.ok(proxy.dropAll() >= 1));
    }
  });
  const final = await watch.done;

  assert.equal(drops, 2);
  assert.equal(final.status, 'SUCCEEDED', JSON.stringify(final.error));
  assert.ok(final.artifacts.length > 0);
  assert.equal(states.filter((s) => s === 'connected').length, 3, `connection states: ${states.join(' ')}`);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].progress >= events[i - 1].progress, 'progress never goes back');
  assert.equal(events.filter((e) => e.status === 'SUCCEEDED').length, 1);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const procs: ServiceProcess[] = [];
after(async () => Promise.all(procs.map((p) => p.kill())));

test('the service killed (SIGKILL) and restarted on the same port and data dir: the watcher reconnects and gets SUCCEEDED', async (t) => {
  const dir = tmpDir('xai-client-restart-');
  const port = await freePort();
  const start = async () => {
    const p = spawnScript('src/main.ts', { XAI_DATA_DIR: dir, PORT: String(port), XAI_JOB_CONCURRENCY: '1' });
    procs.push(p);
    await p.waitFor(/listening on/);
    return p;
  };
  const first = await start();
  const xai = createXaiClient({ url: `http://127.0.0.1:${port}`, WebSocket, retryWait: fastRetry, retryAttempts: 60 });
  t.after(() => xai.dispose());

  const image = (await xai.images({ first: 1, filter: { format: 'png' } })).edges[0].node;
  const requested = await interruptibleLime(xai, image.id, 5);

  let killed = null as Promise<ServiceProcess> | null;
  const events: ExplanationData[] = [];
  const watch = xai.watchExplanation(requested.id, (e) => {
    events.push(e);
    if (!killed && e.status === 'RUNNING' && (e.samplesDone ?? 0) > 0) {
      killed = first.kill('SIGKILL').then(async () => {
        await new Promise((r) => setTimeout(r, 300)); // the watcher retries against a closed port meanwhile
        return start();
      });
    }
  });
  const final = await watch.done;
  assert.ok(killed, 'the service was killed mid-job');
  const second = await killed!;

  assert.equal(final.status, 'SUCCEEDED', JSON.stringify(final.error));
  assert.equal(final.attempts, 2, 'the job ran again after the restart');
  assert.match(second.output(), /interrupted job\(s\) queued again/);
  assert.ok(final.artifacts.length > 0);
});
