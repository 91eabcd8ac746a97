// Progress writes are rate-limited per job: subscribers and the database see about 1000/intervalMs
// updates per second however fast an explainer reports, and the latest value is never lost.

/** Keeps at most one write per interval and never drops the latest value. */
export function throttle<T>(intervalMs: number, write: (v: T) => Promise<void>) {
  let last = 0;
  let pending: T | undefined;
  let timer: NodeJS.Timeout | null = null;
  let chain = Promise.resolve();
  const send = () => {
    timer = null;
    if (pending === undefined) return;
    const v = pending;
    pending = undefined;
    last = Date.now();
    chain = chain.then(() => write(v)).catch((e) => console.error('jobs: progress write failed:', e));
  };
  return {
    push(v: T) {
      pending = v;
      if (timer) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) send();
      else timer = setTimeout(send, wait);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = undefined; // the terminal state supersedes any pending progress
      await chain;
    },
  };
}
