// Client state shared by the views: jobs (explanations) with their live subscriptions, and images with
// their latest prediction per model. Views re-render through useStore() at most once per frame.
import { useEffect, useState } from 'preact/hooks';
import { isTerminal, type ExplanationWatch } from '../../sdk/index.ts';
import { api, errorText, ImagesPageQuery, JobsQuery } from './api.ts';
import { methodLabel } from './methods.ts';
import type { ImageRow, Job, Prediction } from './types.ts';
import { isActive } from './format.ts';

class Emitter {
  private listeners = new Set<() => void>();
  version = 0;
  private scheduled = false;
  subscribe(l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  protected changed() {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.listeners.forEach((l) => l());
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 0);
  }
}

export function useStore(store: Emitter): number {
  const [, setV] = useState(store.version);
  useEffect(() => store.subscribe(() => setV(store.version)), [store]);
  return store.version;
}

const RANK: Record<string, number> = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/** Open subscriptions at most; further active jobs are watched as slots free up (oldest first). */
export const MAX_WATCHES = 40;
const PAGE = 25;

export class JobStore extends Emitter {
  jobs = new Map<string, Job>();
  private watches = new Map<string, ExplanationWatch>();
  cursor: string | null = null;
  hasMore = true;
  loading = false;
  error: string | null = null;
  /** Completion messages for the live region. */
  announcement = '';
  private announceSeq = 0;

  /** Newest first. */
  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  }

  counts() {
    let running = 0;
    let queued = 0;
    for (const j of this.jobs.values()) {
      if (j.status === 'RUNNING') running++;
      else if (j.status === 'QUEUED') queued++;
    }
    return { running, queued, watched: this.watches.size };
  }

  /** Merges a state; an older state (lower rank, or less progress while running) never overwrites a newer one. */
  upsert(next: Job) {
    const prev = this.jobs.get(next.id);
    if (prev) {
      // States can arrive out of order (a page fetched over HTTP vs. the subscription): never go back.
      // (A retry goes back to QUEUED on purpose; retry() makes room for it.)
      const rp = RANK[prev.status];
      const rn = RANK[next.status];
      if (rn < rp || (rn === rp && rn === 1 && next.progress < prev.progress)) return;
    }
    this.jobs.set(next.id, next);
    if (prev && isActive(prev.status) && !isActive(next.status)) this.announce(next);
    this.pump();
    this.changed();
  }

  private announce(j: Job) {
    const what = `${methodLabel(j.method)} on ${j.image.originalName ?? 'image'} with ${j.model.name}`;
    const text =
      j.status === 'SUCCEEDED' ? `${what} finished` : j.status === 'CANCELLED' ? `${what} was cancelled` : `${what} failed: ${j.error?.code ?? ''} ${j.error?.message ?? ''}`;
    // A zero-width suffix makes a repeated identical message a DOM change, so it is read again.
    this.announcement = text + '\u200b'.repeat(++this.announceSeq % 2);
  }

  /** Opens subscriptions for active jobs, RUNNING first, then the oldest QUEUED, up to MAX_WATCHES. */
  private pump() {
    for (const [id, w] of this.watches) {
      const j = this.jobs.get(id);
      if (!j || !isActive(j.status)) {
        w.stop();
        this.watches.delete(id);
      }
    }
    if (this.watches.size >= MAX_WATCHES) return;
    const waiting = [...this.jobs.values()]
      .filter((j) => isActive(j.status) && !this.watches.has(j.id))
      .sort((a, b) => RANK[b.status] - RANK[a.status] || (a.createdAt < b.createdAt ? -1 : 1));
    for (const j of waiting.slice(0, MAX_WATCHES - this.watches.size)) this.watch(j.id);
  }

  private watch(id: string) {
    const w = api().watchExplanation(id, (e) => this.upsert(e as unknown as Job));
    this.watches.set(id, w);
    w.done.then(
      (e) => this.upsert(e as unknown as Job),
      (err) => {
        if (this.watches.get(id) !== w) return; // stopped on purpose
        this.watches.delete(id);
        this.error = `Live updates for a job stopped: ${errorText(err)}`;
        this.changed();
      },
    );
  }

  /** On load (and after a key change): every active job, then the newest page of history. */
  async load() {
    this.reset();
    this.loading = true;
    this.changed();
    try {
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page: Awaited<ReturnType<typeof fetchJobs>> = await fetchJobs(100, after, ['QUEUED', 'RUNNING']);
        page.edges.forEach((e) => this.upsert(e.node));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor ?? null;
      }
      await this.loadMore();
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.loading = false;
      this.changed();
    }
  }

  /** The next page of history (newest first) with the connection's first/after. */
  async loadMore() {
    if (!this.hasMore) return;
    const page = await fetchJobs(PAGE, this.cursor, null);
    page.edges.forEach((e) => this.upsert(e.node));
    this.cursor = page.pageInfo.endCursor ?? this.cursor;
    this.hasMore = page.pageInfo.hasNextPage;
    this.changed();
  }

  reset() {
    this.watches.forEach((w) => w.stop());
    this.watches.clear();
    this.jobs.clear();
    this.cursor = null;
    this.hasMore = true;
    this.error = null;
    this.changed();
  }

  async cancel(id: string) {
    const e = await api().cancelExplanation(id);
    this.upsert(e as unknown as Job);
  }

  async retry(id: string) {
    const e = await api().retryExplanation(id);
    const prev = this.jobs.get(id);
    if (prev) this.jobs.set(id, { ...prev, status: 'QUEUED', progress: 0, error: null }); // the job starts over
    this.upsert(e as unknown as Job);
  }

  isTerminalJob(id: string) {
    const j = this.jobs.get(id);
    return j ? isTerminal(j) : false;
  }
}

async function fetchJobs(first: number, after: string | null, status: ('QUEUED' | 'RUNNING')[] | null) {
  const r = await api().query(JobsQuery, { first, after, filter: status ? { status } : null });
  return r.explanations;
}

export interface UploadError {
  id: number;
  text: string;
}

export class ImageStore extends Emitter {
  images: ImageRow[] = [];
  predictions = new Map<string, Map<string, Prediction>>();
  selected = new Set<string>();
  cursor: string | null = null;
  hasMore = true;
  loading = false;
  error: string | null = null;
  uploading = { done: 0, total: 0 };
  uploadErrors: UploadError[] = [];
  predictErrors: string[] = [];
  private errorSeq = 0;

  async load() {
    this.images = [];
    this.predictions.clear();
    this.cursor = null;
    this.hasMore = true;
    this.error = null;
    await this.loadMore();
  }

  async loadMore() {
    if (!this.hasMore || this.loading) return;
    this.loading = true;
    this.changed();
    try {
      const r = await api().query(ImagesPageQuery, { first: 24, after: this.cursor });
      for (const { node } of r.images.edges) this.add(node, false);
      this.cursor = r.images.pageInfo.endCursor ?? this.cursor;
      this.hasMore = r.images.pageInfo.hasNextPage;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.loading = false;
      this.changed();
    }
  }

  private add(node: ImageRow, front: boolean) {
    const existing = this.images.findIndex((i) => i.id === node.id);
    if (existing >= 0) this.images.splice(existing, 1);
    if (front) this.images.unshift(node);
    else this.images.push(node);
    const byModel = this.predictions.get(node.id) ?? new Map<string, Prediction>();
    // Newest first from the API: keep the first prediction seen per model.
    for (const { node: p } of node.predictions?.edges ?? []) if (!byModel.has(p.model.id)) byModel.set(p.model.id, p);
    this.predictions.set(node.id, byModel);
  }

  toggle(id: string, on: boolean) {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.changed();
  }

  selectAll() {
    this.images.forEach((i) => this.selected.add(i.id));
    this.changed();
  }

  clearSelection() {
    this.selected.clear();
    this.changed();
  }

  setPrediction(imageId: string, p: Prediction) {
    const m = this.predictions.get(imageId) ?? new Map();
    m.set(p.model.id, p);
    this.predictions.set(imageId, m);
    this.changed();
  }

  dismissUploadError(id: number) {
    this.uploadErrors = this.uploadErrors.filter((e) => e.id !== id);
    this.changed();
  }

  /** Uploads files (three at a time), selects the new images and predicts with the given models. */
  async upload(files: File[], models: { id: string; name: string }[]) {
    this.uploading = { done: 0, total: this.uploading.total - this.uploading.done + files.length };
    this.changed();
    const queue = [...files];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        try {
          const img = await api().uploadImage(f, f.name);
          this.add({ ...img, predictions: { edges: [] } } as ImageRow, true);
          this.selected.add(img.id);
          this.changed();
          await Promise.all(models.map((m) => this.predict(img.id, m)));
        } catch (e) {
          this.uploadErrors = [...this.uploadErrors, { id: ++this.errorSeq, text: `${f.name}: ${errorText(e)}` }];
        } finally {
          this.uploading = { ...this.uploading, done: this.uploading.done + 1 };
          this.changed();
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    if (this.uploading.done >= this.uploading.total) this.uploading = { done: 0, total: 0 };
    this.changed();
  }

  async predict(imageId: string, model: { id: string; name: string }) {
    try {
      const p = await api().predict({ image: imageId, model: model.id, topK: 5 });
      this.setPrediction(imageId, { id: p.id, createdAt: p.createdAt, model: { id: p.model.id, name: p.model.name }, classes: p.classes });
    } catch (e) {
      this.predictErrors = [...this.predictErrors.slice(-4), `Prediction with ${model.name}: ${errorText(e)}`];
      this.changed();
    }
  }
}

export const jobs = new JobStore();
export const images = new ImageStore();
