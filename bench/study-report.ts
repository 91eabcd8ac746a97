// The report rebuild of a finished study, in process (no HTTP): the newest finished study of the data
// directory a study bench kept (BENCH_STUDY_DATA_DIR, e.g. from `npm run bench study-done-when`) is
// rebuilt five times; prints each time, the median and whether the bytes stayed the same. The first
// build in the process draws the figure grids, the later ones reuse them (app.reportGrids, kept by
// the hash of what they are drawn from), so the first is also shown on its own. To see where
// the time goes: `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/run.ts study-report`.
//   BENCH_STUDY_DATA_DIR=/tmp/done-when npm run bench study-report
import assert from 'node:assert/strict';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildStudyReport } from '../src/services/study-report.js';

export async function benchStudyReport(): Promise<void> {
  const dir = process.env.BENCH_STUDY_DATA_DIR;
  if (!dir) {
    console.log('study-report: skipped, set BENCH_STUDY_DATA_DIR to a data directory with a finished study');
    return;
  }
  const app = await createApp(loadConfig({ ...process.env, XAI_DATA_DIR: dir }));
  try {
    const study = await app.prisma.study.findFirst({ where: { state: { in: ['SUCCEEDED', 'FAILED', 'CANCELLED'] } }, orderBy: { createdAt: 'desc' } });
    if (!study) throw new Error(`no finished study in ${dir}`);
    const cells = await app.prisma.studyCell.count({ where: { studyId: study.id } });
    const times: number[] = [];
    let sha: string | null = null;
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await buildStudyReport(app, study.id);
      times.push(performance.now() - t);
      if (sha) assert.equal(r.sha256, sha, 'identical bytes when rebuilt');
      sha = r.sha256;
      bytes = r.byteSize;
    }
    const median = [...times].sort((a, b) => a - b)[2];
    console.log(
      `\nstudy-report: "${study.name}" (${cells} cells, ${(bytes / 1e6).toFixed(2)} MB, sha256 ${sha!.slice(0, 12)}…): builds ${times.map((t) => t.toFixed(0)).join(', ')} ms; ` +
        `first (draws the grids) ${times[0].toFixed(0)} ms, median ${median.toFixed(0)} ms (issue: ≤ 2 s), identical bytes`,
    );
  } finally {
    await app.close();
  }
}
