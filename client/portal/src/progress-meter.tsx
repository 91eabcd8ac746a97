// The progress bar of a job or a study: the percentage, what is known of the run, and the ETA while
// it is active or the final state after; that text is the bar's accessible value and is shown beside it.
import { eta, percent, STATUS_TEXT } from './format.ts';

export function ProgressMeter(p: {
  status: string;
  fraction: number;
  /** While active: ETA from `etaSeconds`; otherwise the status in words. */
  active: boolean;
  etaSeconds?: number | null;
  /** What is known of the run, after the percentage. */
  details: string[];
  label: string;
  textTestId?: string;
}) {
  const pct = p.status === 'SUCCEEDED' ? 100 : percent(p.fraction);
  const parts = [`${pct}%`, ...p.details];
  if (p.active) {
    const e = eta(p.etaSeconds);
    if (e) parts.push(`ETA ${e}`);
  } else parts.push(STATUS_TEXT[p.status] ?? p.status);
  const text = parts.join(' · ');
  return (
    <div class="progress-wrap">
      <div class={`progress status-${p.status}`} role="progressbar" aria-label={p.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={text}>
        <div class="bar" style={{ width: `${pct}%` }} />
      </div>
      <span class="progress-text" aria-hidden="true" data-testid={p.textTestId}>
        {text}
      </span>
    </div>
  );
}
