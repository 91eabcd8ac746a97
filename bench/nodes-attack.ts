// The `nodes(ids)` attack of issue 14 against a service in its own process (XAI_AUTH=required, a
// VIEWER key): 2,000 copies of one image id, each selecting its explanations and their artifacts, sent
// back to back while another client keeps asking `{ viewer { role } }`. Prints how fast the attack is
// answered (it must be a typed error) and the concurrent query's latency, against the same query's
// latency on the idle service measured in the same run.
import http from 'node:http';
import { REQUEST_EXPLANATION } from '../test/api/operations.js';
import { spawnScript } from '../test/support/processes.js';
import { tmpDir } from '../test/support/tmp.js';
import { median, percentile, report } from './stats.js';

const ADMIN = 'bench-admin-secret-0123456789abcdef';
const ATTACKS = Number(process.env.BENCH_ATTACKS ?? 50);
const HEAVY = `explanations(first: 20) { edges { node { id status parameters result artifacts { name kind url byteSize } image { id url } model { id name } } } }`;
const ATTACK = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Image { width ${HEAVY} } } }`;

function post(url: string, agent: http.Agent, key: string, query: string, variables: object = {}): Promise<{ ms: number; status: number; body: string }> {
  const body = JSON.stringify({ query, variables });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/graphql`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode!, body: text }));
    });
    req.on('error', reject).end(body);
  });
}

/** `{ viewer { role } }` in a loop until `stop()`; returns the latencies. */
function probe(url: string, key: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await post(url, agent, key, '{ viewer { role } }');
      if (!r.body.includes('VIEWER')) throw new Error(r.body);
      times.push(r.ms);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      agent.destroy();
      return times;
    },
  };
}

export async function benchNodesAttack() {
  // The per-key request quota is off: the probe alone sends thousands of requests a minute, and the bench
  // measures the cost limit, not the rate limit.
  const svc = spawnScript('src/main.ts', {
    PORT: '0',
    XAI_DATA_DIR: tmpDir('xai-bench-attack-'),
    XAI_AUTH: 'required',
    XAI_ADMIN_KEY: ADMIN,
    XAI_QUOTA_REQUESTS_PER_MINUTE: '0',
  });
  try {
    const url = (await svc.waitFor(/listening on (http:\/\/\S+)\/graphql/))[1];
    const admin = new http.Agent({ keepAlive: true });
    const gql = async (query: string, variables: object = {}, key = ADMIN) => JSON.parse((await post(url, admin, key, query, variables)).body);
    const viewer = (await gql(`mutation { createApiKey(name: "bench viewer", role: VIEWER) { ... on CreateApiKeySuccess { data { secret } } } }`)).data.createApiKey.data.secret;
    const ids = (await gql(`{ images(first: 6) { edges { node { id } } } models { edges { node { id } } } }`)).data;
    const image = ids.images.edges[0].node.id;
    const model = ids.models.edges[0].node.id;
    // Something for the attack to select: finished explanations with their artifacts.
    for (const method of ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'SALIENCY', 'EIGEN_CAM']) await gql(REQUEST_EXPLANATION, { input: { image, model, method } });
    for (let i = 0; i < 200; i++) {
      const left = (await gql(`{ explanations(filter: { status: [QUEUED, RUNNING] }) { edges { node { id } } } }`)).data.explanations.edges.length;
      if (!left) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const idle = probe(url, viewer);
    await new Promise((r) => setTimeout(r, 2000));
    const idleTimes = await idle.stop();

    const attacker = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const variants = [
      ['2,000 ids', Array.from({ length: 2000 }, () => image)],
      ['100 ids', Array.from({ length: 100 }, () => image)],
    ] as const;
    const rows: [string, number][] = [];
    for (const [label, list] of variants) {
      const concurrent = probe(url, viewer);
      const attack: number[] = [];
      let code = '';
      for (let i = 0; i < ATTACKS; i++) {
        const r = await post(url, attacker, viewer, ATTACK, { ids: list });
        code = JSON.parse(r.body).errors?.[0]?.extensions?.code ?? `HTTP ${r.status}, ${r.body.length} bytes of data`;
        attack.push(r.ms);
      }
      const during = await concurrent.stop();
      console.log(`\nnodes attack, ${label} (${ATTACKS} requests): answered with ${code}`);
      rows.push(
        [`${label}: attack answered, median ms`, median(attack)],
        [`${label}: attack answered, max ms (target < 100)`, Math.max(...attack)],
        [`${label}: concurrent query, p50 ms`, median(during)],
        [`${label}: concurrent query, max ms (target < 50)`, Math.max(...during)],
        [`${label}: concurrent p99 / idle p99`, percentile(during, 0.99) / percentile(idleTimes, 0.99)],
      );
    }
    rows.unshift(['floor: the same query on the idle service, p50 ms', median(idleTimes)], ['floor: p99 ms', percentile(idleTimes, 0.99)]);
    report('nodes(ids) attack against a VIEWER key', rows);
    attacker.destroy();
    admin.destroy();
  } finally {
    await svc.kill();
  }
}
