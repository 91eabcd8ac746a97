// Subscription load against a real service process: 1,000 websocket subscribers on one job and
// 100 on each of 10 jobs must all receive the terminal event; delivery latency, simple-query latency
// while two LIME jobs run, and server memory per idle subscriber.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { spawnScript } from '../test/support/processes.js';
import { tmpDir } from '../test/support/tmp.js';
import { REQUEST_EXPLANATION } from '../test/api/operations.js';
import { gqlAt, waitUntil } from '../test/jobs/support.js';
import { median, percentile, report } from './stats.js';

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * One subscription. `ready` resolves with the first (current) state; `latency` with receive time −
 * finishedAt of the terminal event (same host, same clock), or -1 when the terminal was already the
 * first state: that subscriber connected after the job ended, so it measured its own connect time.
 */
function subscribe(client: Client, id: string): { ready: Promise<void>; latency: Promise<number> } {
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const latency = new Promise<number>((resolve, reject) => {
    let first = true;
    client.subscribe(
      { query: `subscription($id: ID!) { explanationUpdated(id: $id) { status finishedAt } }`, variables: { id } },
      {
        next: (v: any) => {
          const e = v.data?.explanationUpdated;
          if (!e) return;
          ready();
          if (TERMINAL.includes(e.status)) resolve(first ? -1 : Date.now() - new Date(e.finishedAt).getTime());
          first = false;
        },
        error: (err) => (ready(), reject(err)),
        complete: () => {},
      },
    );
  });
  return { ready: readyP, latency: latency.catch(() => -2) };
}

export async function benchSubscribers() {
  const svc = spawnScript('src/main.ts', { XAI_DATA_DIR: tmpDir('xai-bench-'), PORT: '0', XAI_JOB_CONCURRENCY: '2', XAI_ORT_THREADS: '1' });
  const url = (await svc.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/))[1];
  const clients: Client[] = [];
  try {
    const d = await gqlAt(url, `{ images(first: 1, filter: { format: "png" }) { edges { node { id } } } models { edges { node { id } } } }`);
    const image = d.images.edges[0].node.id;
    const model = d.models.edges[0].node.id;
    const job = async (seed: number, numSamples: number) =>
      (await gqlAt(url, REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', seed, parameters: { lime: { numSamples, batchSize: 20 } } } }))
        .requestExplanation.data.id as string;
    const status = async (id: string) => (await gqlAt(url, `query($id: ID!) { explanation(id: $id) { status } }`, { id })).explanation.status;
    const cancel = (id: string) => gqlAt(url, `mutation($id: ID!) { cancelExplanation(id: $id) { __typename } }`, { id });
    // Two long LIME jobs occupy both job slots, so jobs requested next stay QUEUED until these are cancelled.
    const occupySlots = async (seed: number) => {
      const busy = [await job(seed, 100000), await job(seed + 1, 100000)];
      await waitUntil(async () => (await Promise.all(busy.map(status))).every((s) => s === 'RUNNING'));
      return () => Promise.all(busy.map(cancel));
    };
    // Connect in waves so the accept backlog is not what is being measured; resolves once every
    // subscriber has its first state, so none is still connecting when the job ends.
    const subscribeMany = async (n: number, id: string) => {
      const out: Promise<number>[] = [];
      for (let i = 0; i < n; i += 50) {
        const wave = Array.from({ length: Math.min(50, n - i) }, () => {
          const c = createClient({ url: url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 3 });
          clients.push(c);
          return subscribe(c, id);
        });
        await Promise.all(wave.map((s) => s.ready));
        out.push(...wave.map((s) => s.latency));
      }
      return out;
    };
    // Event-loop delay of this (client) process while deliveries happen: high values mean the
    // clients, not the service, added latency.
    const clientLoop = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const r = await run();
      h.disable();
      return [r, h.max / 1e6];
    };

    const freeSlots = await occupySlots(2);
    const watched = await job(1, 2000);
    const idleDone = await subscribeMany(1000, watched);

    // A simple query, sequentially, while the two LIME jobs run.
    const agent = new http.Agent({ keepAlive: true });
    const body = JSON.stringify({ query: '{ viewer { role } }' });
    const q: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await new Promise<void>((res, rej) => {
        const r = http.request(`${url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (s) => {
          s.resume().on('end', res);
        });
        r.on('error', rej).end(body);
      });
      q.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
    agent.destroy();

    // Free the slots: the watched job runs with 1,000 subscribers.
    const [oneJob, oneLoop] = await clientLoop(async () => (await freeSlots(), Promise.all(idleDone)));
    // Then 10 jobs with 100 subscribers each, all connected while the jobs are still QUEUED (jobs that
    // started first used to end while later subscribers were still connecting: see README).
    const freeSlots2 = await occupySlots(4);
    const ten = await Promise.all(Array.from({ length: 10 }, (_, i) => job(100 + i, 300)));
    const tenDone: Promise<number>[] = [];
    for (const id of ten) tenDone.push(...(await subscribeMany(100, id)));
    const [tenJobs, tenLoop] = await clientLoop(async () => (await freeSlots2(), Promise.all(tenDone)));

    const live = (xs: number[]) => xs.filter((x) => x >= 0);
    const got = (xs: number[]) => xs.filter((x) => x !== -2).length;
    // A job's 100 subscribers get its terminal within a few ms of each other; p99 is the slowest job.
    const perJob = ten.map((_, j) => median(live(tenJobs.slice(j * 100, j * 100 + 100)))).sort((a, b) => a - b);
    report('subscriptions (service in its own process; 2 cores shared with the clients)', [
      ['1,000 subscribers on one job: got the terminal', got(oneJob)],
      ['  of them only as the first state (not timed)', got(oneJob) - live(oneJob).length],
      ['  delivery latency p50 ms', median(live(oneJob))],
      ['  delivery latency p99 ms', percentile(live(oneJob), 0.99)],
      ['  client process event-loop delay max ms', oneLoop],
      ['100 on each of 10 jobs: got the terminal', got(tenJobs)],
      ['  of them only as the first state (not timed)', got(tenJobs) - live(tenJobs).length],
      ['  delivery latency p50 ms', median(live(tenJobs))],
      ['  delivery latency p99 ms', percentile(live(tenJobs), 0.99)],
      ['  fastest job, median ms', perJob[0]],
      ['  slowest job, median ms', perJob[perJob.length - 1]],
      ['  client process event-loop delay max ms', tenLoop],
      ['simple query p50 ms, 2 LIME jobs running', median(q)],
      ['simple query p99 ms (goal < 50)', percentile(q, 0.99)],
    ]);
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await svc.kill('SIGTERM');
  }
}

/**
 * Server memory per idle subscriber: the service runs in this process (so it can be measured after a
 * full GC; RSS alone mostly shows garbage not yet collected) and the clients in a child process.
 */
export async function benchSubscriberMemory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return console.log('\nsubscriber memory: skipped (run with node --expose-gc, as npm run bench does)');
  const { startTestService } = await import('../test/support/service.js');
  const svc = await startTestService();
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const d = (await svc.gql(`{ images(first: 1) { edges { node { id } } } models { edges { node { id } } } }`)).data;
    const id = (await svc.gql(REQUEST_EXPLANATION, { input: { image: d.images.edges[0].node.id, model: d.models.edges[0].node.id, method: 'LIME' } }))
      .data.requestExplanation.data.id;
    const open = async (n: number) => {
      const child = spawn(process.execPath, ['--import', 'tsx', new URL('./ws-clients.ts', import.meta.url).pathname, `${svc.url.replace('http', 'ws')}/graphql`, id, String(n)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (b) => String(b).includes('ready') && resolve()));
    };
    const heap = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 200));
      }
      return process.memoryUsage();
    };
    await open(50); // one-time costs (schema caches, first connections) stay out of the figure
    const before = await heap();
    await open(1000);
    const after = await heap();
    report('server memory per idle subscriber (1,000 websocket subscriptions, after GC)', [
      ['heap KiB', (after.heapUsed - before.heapUsed) / 1024 / 1000],
      ['RSS KiB', (after.rss - before.rss) / 1024 / 1000],
    ]);
  } finally {
    for (const c of children) c.kill();
    await svc.close();
  }
}
