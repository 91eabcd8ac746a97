// The report archive of a finished study (report.html, figure grids, every table as CSV and JSON,
// the parameters and seeds): downloaded as report.zip and unpacked next to it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StudyReportQuery, type XaiClient } from '../sdk/index.ts';
import { unzipTo } from './unzip.ts';

/** Null when the service has no report for the study (it is built once every cell has finished). */
export async function writeReport(xai: XaiClient, id: string, dir: string): Promise<{ zip: string; files: string[]; sha256: string } | null> {
  const report = (await xai.query(StudyReportQuery, { id })).study?.report;
  if (!report) return null;
  const bytes = Buffer.from(await xai.download(report.url));
  const zip = path.join(dir, 'report.zip');
  await writeFile(zip, bytes);
  return { zip, files: await unzipTo(bytes, dir), sha256: report.sha256 };
}
