// predict through the whole API (HTTP → GraphQL → DB → preprocess → onnxruntime → DB) versus a bare
// session.run on the same preprocessed input, interleaved in one run so both see the same machine state.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { buildDemoModel, demoImageSet } from '../src/engine/demo/index.js';
import { preprocess } from '../src/engine/preprocess.js';
import { sessionOf, specOf } from '../src/services/models.js';
import { hasShared, sharedDir, startTestService } from '../test/support/service.js';
import { PREDICT, REGISTER_MODEL, UPLOAD_IMAGE } from '../test/api/operations.js';
import { median, percentile, report } from './stats.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);

export async function benchPredictApi() {
  const svc = await startTestService({ seed: false });
  try {
    const useShared = hasShared();
    const modelBytes = useShared ? await readFile(path.join(sharedDir, 'models/mobilenetv2-float.onnx')) : buildDemoModel().onnx;
    const imageBytes = useShared ? await readFile(path.join(sharedDir, 'images/bittern.jpg')) : (await demoImageSet())[0].png;
    const modelName = useShared ? 'MobileNetV2' : 'demo-shapes';
    const reg = await svc.upload(REGISTER_MODEL, { input: { name: 'bench', file: null } }, { 'input.file': { bytes: modelBytes, name: 'm.onnx' } });
    const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: imageBytes, name: 'img' } });
    const modelId = reg.data.registerModel.data.id;
    const imageId = up.data.uploadImage.data.id;

    const row = await svc.app.prisma.model.findFirstOrThrow({ where: { name: 'bench' } });
    const spec = specOf(row);
    const session = await sessionOf(svc.app, row);
    const feeds = { [spec.inputName]: new ort.Tensor('float32', await preprocess(imageBytes, spec), [1, 3, spec.height, spec.width]) };

    // A keep-alive HTTP client, as a browser or SDK would hold; fetch() adds ~1 ms of client-side CPU.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify({ query: PREDICT, variables: { input: { image: imageId, model: modelId, topK: 5 } } });
    const post = () =>
      new Promise<string>((resolve, reject) => {
        const req = http.request(`${svc.url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve(text));
        });
        req.on('error', reject).end(body);
      });

    const api: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ITERATIONS + 10; i++) {
      const t0 = performance.now();
      const text = await post();
      const t1 = performance.now();
      if (!text.includes('PredictSuccess') && !text.includes('"top1"')) throw new Error(text);
      await session.run(feeds);
      const t2 = performance.now();
      if (i >= 10) {
        api.push(t1 - t0);
        bare.push(t2 - t1);
      }
    }
    const a = median(api);
    const b = median(bare);
    report(`predict via API (${modelName}, ${ITERATIONS} sequential requests, batch 1)`, [
      ['bare session.run, median ms', b],
      ['API predict, median ms', a],
      ['API predict, p99 ms', percentile(api, 0.99)],
      ['overhead, ms (goal ≤ 5)', a - b],
      ['ratio API / bare', a / b],
    ]);
    agent.destroy();
  } finally {
    await svc.close();
  }
}
