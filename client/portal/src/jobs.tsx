import { useState } from 'preact/hooks';
import { errorText } from './api.ts';
import { isActive, STATUS_TEXT } from './format.ts';
import { methodLabel } from './methods.ts';
import { ProgressMeter } from './progress-meter.tsx';
import { jobs, useStore } from './store.ts';
import type { Job } from './types.ts';

const STEP = 20;

/** The artifact that best shows a finished job at thumbnail size. */
export function previewArtifact(j: { method: string; artifacts: { name: string; kind: string; url: string }[] }) {
  const a = j.artifacts;
  if (j.method === 'LIME') return a.find((x) => x.name.startsWith('lime-positive-')) ?? a.find((x) => x.name === 'segments.png');
  return a.find((x) => x.kind === 'OVERLAY') ?? a.find((x) => x.kind === 'HEATMAP');
}

export function jobTitle(j: Job) {
  return `${methodLabel(j.method)} on ${j.image.originalName ?? 'image'} with ${j.model.name}`;
}

export function ProgressBar({ job, label }: { job: Pick<Job, 'status' | 'progress' | 'stage' | 'samplesDone' | 'samplesTotal' | 'etaSeconds'> & { stability?: number | null }; label: string }) {
  const details: string[] = [];
  if (job.status === 'RUNNING') {
    if (job.stage) details.push(job.stage);
    if (job.samplesTotal) details.push(`${job.samplesDone ?? 0}/${job.samplesTotal} samples`);
    // Adaptive LIME / Kernel SHAP: samplesTotal is then the expected stopping point.
    if (typeof job.stability === 'number') details.push(`top-k stability ${Math.round(100 * job.stability)}%`);
  }
  return <ProgressMeter status={job.status} fraction={job.progress} active={job.status === 'RUNNING'} etaSeconds={job.etaSeconds} details={details} label={label} />;
}

function JobRow({ j }: { j: Job }) {
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = jobTitle(j);
  const preview = j.status === 'SUCCEEDED' ? previewArtifact(j) : undefined;
  const act = async (f: () => Promise<void>) => {
    setBusy(true);
    setErr(null);
    try {
      await f();
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`job status-${j.status}`} data-job-id={j.id} data-status={j.status}>
      <div class="job-head">
        <span class="job-title">{title}</span>
        {j.study && <span class="job-study">{j.study.name}</span>}
        <span class={`badge badge-${j.status}`} data-testid="job-status">
          {STATUS_TEXT[j.status] ?? j.status}
        </span>
      </div>
      <ProgressBar job={j} label={`Progress of ${title}`} />
      {j.status === 'FAILED' && j.error && (
        <p class="error">
          {j.error.code}: {j.error.message}
        </p>
      )}
      {err && (
        <p class="error" role="alert">
          {err}
        </p>
      )}
      <div class="job-actions">
        {preview && (
          <a href={`#/image/${encodeURIComponent(j.image.id)}`} class="thumb-link" aria-label={`Results for ${j.image.originalName ?? 'image'}`}>
            <img class="job-result" src={preview.url} alt={`${methodLabel(j.method)} result for ${j.image.originalName ?? 'image'}`} width={48} height={48} loading="lazy" />
          </a>
        )}
        {isActive(j.status) && (
          <button type="button" disabled={busy} onClick={() => act(() => jobs.cancel(j.id))} aria-label={`Cancel ${title}`}>
            Cancel
          </button>
        )}
        {(j.status === 'FAILED' || j.status === 'CANCELLED') && (
          <button type="button" disabled={busy} onClick={() => act(() => jobs.retry(j.id))} aria-label={`Retry ${title}`}>
            Retry
          </button>
        )}
        {j.status === 'SUCCEEDED' && <a href={`#/image/${encodeURIComponent(j.image.id)}`}>View results</a>}
      </div>
    </li>
  );
}

export function JobsPanel() {
  useStore(jobs);
  const [filter, setFilter] = useState<'all' | 'active'>('all');
  const [visible, setVisible] = useState(STEP);
  const [moreErr, setMoreErr] = useState<string | null>(null);
  const all = jobs.list();
  const list = filter === 'active' ? all.filter((j) => isActive(j.status)) : all;
  const shown = list.slice(0, visible);
  const { running, queued } = jobs.counts();
  const canFetch = filter === 'all' && jobs.hasMore;
  return (
    <section aria-labelledby="jobs-h" class="panel jobs">
      <h2 id="jobs-h">Jobs</h2>
      <p class="hint">
        {running} running, {queued} queued{jobs.loading ? ' · loading…' : ''}
      </p>
      <div role="group" aria-label="Show jobs" class="segmented">
        <button type="button" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
          All
        </button>
        <button type="button" aria-pressed={filter === 'active'} onClick={() => setFilter('active')}>
          Active only
        </button>
      </div>
      {jobs.error && (
        <p class="error" role="alert">
          {jobs.error}
        </p>
      )}
      {list.length === 0 && !jobs.loading && <p class="hint">No jobs yet.</p>}
      <ul class="job-list" aria-label="Jobs, newest first">
        {shown.map((j) => (
          <JobRow j={j} key={j.id} />
        ))}
      </ul>
      {(list.length > visible || canFetch) && (
        <button
          type="button"
          onClick={async () => {
            setMoreErr(null);
            if (list.length <= visible + STEP && canFetch) {
              try {
                await jobs.loadMore();
              } catch (e) {
                setMoreErr(errorText(e));
              }
            }
            setVisible((v) => v + STEP);
          }}
        >
          Show older jobs
        </button>
      )}
      {moreErr && (
        <p class="error" role="alert">
          {moreErr}
        </p>
      )}
    </section>
  );
}
