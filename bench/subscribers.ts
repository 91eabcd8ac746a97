// Subscription load against a real service process: 1,000 websocket subscribers on one job and
// 100 on each of 10 jobs must all receive the terminal event; delivery latency, query latency while
// two LIME jobs run, and memory per idle subscriber.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { WebSocket } from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { spawnScript } from '../test/support/processes.js';
import { tmpDir } from '../test/support/tmp.js';
import { REQUEST_EXPLANATION } from '../test/api/operations.js';
import { gqlAt } from '../test/jobs/support.js';
import { median, percentile, report } from './stats.js';

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

function subscribe(client: Client, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query: `subscription($id: ID!) { explanationUpdated(id: $id) { status finishedAt } }`, variables: { id } },
      {
        next: (v: any) => {
          const e = v.data?.explanationUpdated;
          if (e && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status)) resolve(Date.now() - new Date(e.finishedAt).getTime());
        },
        error: reject,
        complete: () => {},
      },
    );
  });
}

export async function benchSubscribers() {
  const svc = spawnScript('src/main.ts', { XAI_DATA_DIR: tmpDir('xai-bench-'), PORT: '0', XAI_JOB_CONCURRENCY: '2', XAI_ORT_THREADS: '1' });
  const url = (await svc.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/))[1];
  const pid = svc.proc.pid!;
  const clients: Client[] = [];
  try {
    const d = await gqlAt(url, `{ images(first: 1, filter: { format: "png" }) { edges { node { id } } } models { edges { node { id } } } }`);
    const image = d.images.edges[0].node.id;
    const model = d.models.edges[0].node.id;
    const job = async (seed: number, numSamples: number) =>
      (await gqlAt(url, REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', seed, parameters: { lime: { numSamples, batchSize: 20 } } } }))
        .requestExplanation.data.id as string;
    const newClient = () => {
      const c = createClient({ url: url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 3, onNonLazyError: () => {} });
      clients.push(c);
      return c;
    };
    // Connect in waves so the accept backlog is not the thing being measured.
    const subscribeMany = async (n: number, id: string) => {
      const out: Promise<number>[] = [];
      for (let i = 0; i < n; i += 50) {
        const wave = Array.from({ length: Math.min(50, n - i) }, () => {
          const c = newClient();
          const connected = new Promise<void>((r) => c.on('connected', () => r()));
          out.push(subscribe(c, id).catch(() => -1));
          return connected;
        });
        await Promise.all(wave);
      }
      return out;
    };

    // Idle subscribers: memory per connection+subscription on the server.
    const before = rssKb(pid);
    const idleJob = await job(1, 100000); // long; cancelled at the end
    const idleDone = await subscribeMany(1000, idleJob);
    console.error('1000 idle subscribers connected');
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssKb(pid);

    // Simple-query latency while two LIME jobs run.
    const busy = [await job(2, 4000), await job(3, 4000)];
    const agent = new http.Agent({ keepAlive: true });
    const body = JSON.stringify({ query: '{ viewer { role } }' });
    const q: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await new Promise<void>((res, rej) => {
        const r = http.request(`${url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (s) => s.resume().on('end', res));
        r.on('error', rej).end(body);
      });
      q.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
    agent.destroy();
    console.error('query latency measured');

    // 1,000 subscribers on one job, then 100 on each of 10 jobs.
    await gqlAt(url, `mutation($id: ID!) { cancelExplanation(id: $id) { __typename } }`, { id: idleJob });
    const idleLatency = await Promise.all(idleDone);
    console.error('1000 subscribers received the terminal event');
    for (const id of busy) await gqlAt(url, `mutation($id: ID!) { cancelExplanation(id: $id) { __typename } }`, { id });
    const ten = await Promise.all(Array.from({ length: 10 }, (_, i) => job(100 + i, 300)));
    const tenLatency = await Promise.all((await Promise.all(ten.map((id) => subscribeMany(100, id)))).flat());

    report('subscriptions (service in its own process, 2 cores shared with 2,000 client sockets)', [
      ['1,000 subscribers on one job: received terminal', idleLatency.filter((x) => x >= 0).length],
      ['  delivery latency p50 ms', median(idleLatency)],
      ['  delivery latency p99 ms', percentile(idleLatency, 0.99)],
      ['100 on each of 10 jobs: received terminal', tenLatency.length],
      ['  delivery latency p50 ms', median(tenLatency)],
      ['  delivery latency p99 ms', percentile(tenLatency, 0.99)],
      ['simple query p50 ms while 2 LIME jobs run', median(q)],
      ['simple query p99 ms (goal < 50)', percentile(q, 0.99)],
      ['server memory per idle subscriber, KiB', (after - before) / 1000],
    ]);
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await svc.kill('SIGTERM');
  }
}
