// Per-key quotas (XAI_QUOTA_*): how many jobs one key may have queued or running, and how many
// requests it may make per minute. Open mode (one local user, no keys) is not limited; 0 = unlimited.
import type { App } from '../app.js';
import { identityOf, LOCAL_IDENTITY, type Principal } from '../auth.js';
import { RateLimitedError } from '../errors.js';

/** When a key is at its queued-jobs limit, asking again after this long is a fair guess. */
const QUEUED_RETRY_SECONDS = 30;

/** Whether this identity's queued and running explanations are limited (a key, with a limit set). */
export function hasQueuedJobsQuota(app: App, identity: string | null): identity is string {
  return app.config.quotas.queuedJobs > 0 && identity !== null && identity !== LOCAL_IDENTITY;
}

/** How many more explanations this identity (a key id, or a study's creator) may have queued or
 *  running: Infinity without a limit, which is also the case in open mode (LOCAL_IDENTITY) and for
 *  studies without an owner. */
export async function queuedJobsRoom(app: App, identity: string | null): Promise<number> {
  if (!hasQueuedJobsQuota(app, identity)) return Infinity;
  return app.config.quotas.queuedJobs - (await app.prisma.explanation.count({ where: { createdBy: identity, status: { in: ['QUEUED', 'RUNNING'] } } }));
}

/** Throws RateLimitedError when the principal already has its quota of jobs waiting or running. */
export async function checkQueuedJobsQuota(app: App, principal: Principal): Promise<void> {
  const room = await queuedJobsRoom(app, identityOf(principal));
  if (room <= 0) {
    const active = app.config.quotas.queuedJobs - room;
    throw new RateLimitedError(`this key has ${active} explanations queued or running, its limit (XAI_QUOTA_QUEUED_JOBS); wait for some to finish or cancel them`, QUEUED_RETRY_SECONDS);
  }
}

/**
 * Requests per minute per key, as a token bucket (a minute's worth may come in a burst, then they
 * refill evenly). Counted in this process: with several API nodes each node counts its own requests.
 */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes one request from the principal's budget; throws RateLimitedError when it is empty. */
  take(principal: Principal, now = Date.now()): void {
    if (!this.perMinute || principal.keyId === null) return;
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(principal.keyId) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(principal.keyId, b);
    if (b.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
      throw new RateLimitedError(`this key made more than ${this.perMinute} requests in a minute (XAI_QUOTA_REQUESTS_PER_MINUTE)`, retryAfterSeconds);
    }
    b.tokens -= 1;
    if (this.buckets.size > 10_000) this.forgetFull(now);
  }

  /** Buckets that have refilled completely carry no information. */
  private forgetFull(now: number) {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(k);
  }
}
