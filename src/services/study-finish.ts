// The last step of a study, once every cell has finished and before the study shows its final state
// (study-progress.ts, finishStudy): the report's predictions and comparisons are computed and stored,
// so building the report only reads them. The same calls the report makes, so what is stored here is
// what the report would otherwise compute itself (and it still does, for whatever is missing): the
// bytes are the same either way.
import type { App } from '../app.js';
import { loadStudyFacts } from './study-facts.js';
import { REPORT_COMPARISONS, studyComparisons } from './study-comparisons.js';
import { predictionFacts, STUDY_TOP_K } from './study-predictions.js';

export async function storeStudyResults(app: App, studyId: string): Promise<void> {
  const started = performance.now();
  const facts = await loadStudyFacts(app, studyId);
  // Both store what they compute (Prediction and Agreement rows) and reuse what is stored.
  await predictionFacts(app, facts, STUDY_TOP_K.default);
  await studyComparisons(app, facts, REPORT_COMPARISONS);
  console.log(`study ${studyId}: predictions and comparisons stored in ${(performance.now() - started).toFixed(0)} ms`);
}
