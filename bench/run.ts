// `npm run bench [name…]`: every benchmark prints its floor measured in the same run and the ratio to it.
import { benchAdaptive } from './adaptive.js';
import { benchCam } from './cam.js';
import { benchGradientShap } from './gradient-shap.js';
import { benchMetrics } from './metrics.js';
import { benchPerturb } from './perturb.js';
import { benchPredictApi } from './predict-api.js';
import { benchPreprocess } from './preprocess.js';
import { benchSubscriberMemory, benchSubscribers } from './subscribers.js';
import { benchUpload } from './upload.js';
import { benchNodesAttack } from './nodes-attack.js';
import { benchStudy } from './study.js';
import { benchStudyDoneWhen } from './study-done-when.js';
import { benchStudyReport } from './study-report.js';

const BENCHES: Record<string, () => Promise<void>> = {
  'predict-api': benchPredictApi,
  cam: benchCam,
  perturb: benchPerturb,
  'gradient-shap': benchGradientShap,
  adaptive: benchAdaptive,
  metrics: benchMetrics,
  preprocess: benchPreprocess,
  subscribers: async () => {
    await benchSubscribers();
    await benchSubscriberMemory();
  },
  upload: benchUpload,
  'nodes-attack': benchNodesAttack,
  study: benchStudy,
  'study-done-when': benchStudyDoneWhen,
  'study-report': benchStudyReport,
  // Script-style benchmarks run on import.
  segment: async () => void (await import('./segment.js')),
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  await run();
}
