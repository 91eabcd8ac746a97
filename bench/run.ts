// `npm run bench [name…]`: every benchmark prints its floor measured in the same run and the ratio to it.
import { benchPredictApi } from './predict-api.js';
import { benchSubscribers } from './subscribers.js';

const BENCHES: Record<string, () => Promise<void>> = {
  'predict-api': benchPredictApi,
  subscribers: benchSubscribers,
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  await run();
}
