// Terminal progress for a job: on a TTY one line redrawn in place with `\r`; otherwise (logs, pipes,
// CI) a new line at each 10 % step and at each status change, so logs stay short.
export interface ProgressEvent {
  status: string;
  progress: number;
  stage?: string | null;
  samplesDone?: number | null;
  samplesTotal?: number | null;
  etaSeconds?: number | null;
}

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.floor(f * width);
  const part = f * width - full;
  const partial = full < width && part >= 0.5 ? '▌' : '';
  return '█'.repeat(full) + partial + '░'.repeat(width - full - partial.length);
}

/** One line of status: `RUNNING  sample   [████████░░░░]  45%  135/300  ETA 12s`. */
export function formatLine(e: ProgressEvent, width = 24, now?: { elapsedSec: number }): string {
  const pct = `${Math.floor(Math.min(1, Math.max(0, e.progress)) * 100)}%`.padStart(4);
  const samples = e.samplesTotal ? `  ${e.samplesDone ?? 0}/${e.samplesTotal}` : '';
  const eta = e.status === 'RUNNING' || e.status === 'QUEUED' ? `  ETA ${formatEta(e.etaSeconds)}` : '';
  const elapsed = now ? `  ${formatEta(now.elapsedSec)} elapsed` : '';
  return `${e.status.padEnd(9)} ${(e.stage ?? '').padEnd(9)} [${bar(e.progress, width)}] ${pct}${samples}${eta}${elapsed}`;
}

export function createProgress(stream: ProgressStream, opts: { tty?: boolean; clock?: () => number } = {}) {
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const clock = opts.clock ?? Date.now;
  const started = clock();
  let lastStep = -1;
  let lastStatus = '';
  let drawn = false;

  return {
    update(e: ProgressEvent) {
      if (tty) {
        const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
        stream.write(`\r\x1b[2K${formatLine(e, width)}`);
        drawn = true;
        return;
      }
      const step = Math.floor(Math.min(1, Math.max(0, e.progress)) * 10);
      if (step > lastStep || e.status !== lastStatus) {
        lastStep = Math.max(lastStep, step);
        lastStatus = e.status;
        stream.write(`${formatLine(e, 20, { elapsedSec: (clock() - started) / 1000 })}\n`);
      }
    },
    /** Ends the in-place line so that later output starts on a fresh line. */
    done() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
    /** Prints a message without garbling the bar. */
    note(msg: string) {
      if (tty && drawn) stream.write('\r\x1b[2K');
      stream.write(`${msg}\n`);
      drawn = false;
    },
  };
}
