// A work queue keyed by Milvus instance, in the manner of client-go's
// rate-limited delaying queue: keys are deduplicated; a key is never
// processed twice at once (one added while it runs is processed again after);
// failures retry with per-key exponential backoff up to a cap; success
// forgets the backoff; `addAfter` schedules a delayed add; concurrency across
// keys is bounded.

import { realClock, type Clock } from '../kube/clock.ts';

export type Outcome = { ok: true; requeueAfterMs?: number } | { ok: false; retry: boolean };

export interface QueueOptions {
  readonly concurrency: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; cancel(): void }>();
  private readonly opts: Required<Omit<QueueOptions, 'clock'>> & { clock: Clock };
  private readonly worker: (key: string) => Promise<Outcome>;
  private shuttingDown = false;
  /** Work is queued but not started until `resume()`: a controller must not act on half-filled caches. */
  private paused = false;
  private idleWaiters: (() => void)[] = [];
  /** Counters for metrics. */
  readonly stats = { adds: 0, processed: 0, retries: 0 };

  constructor(worker: (key: string) => Promise<Outcome>, opts: QueueOptions) {
    this.worker = worker;
    this.opts = { baseBackoffMs: 500, maxBackoffMs: 60_000, clock: realClock, ...opts };
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Whether the key is queued, running, or has a delayed add pending. */
  has(key: string): boolean {
    return this.queued.has(key) || this.running.has(key) || this.timers.has(key);
  }

  depth(): number {
    return this.ready.length;
  }

  inFlight(): number {
    return this.running.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.stats.adds++;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Adds the key after `ms`, unless an earlier delayed add is already pending. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.opts.clock.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const timer = this.opts.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, cancel: () => timer.cancel() });
  }

  backoffFor(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.max(0, n - 1));
  }

  private pump(): void {
    while (!this.shuttingDown && !this.paused && this.running.size < this.opts.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.running.add(key);
      void this.process(key);
    }
    if (this.running.size === 0 && (this.ready.length === 0 || this.paused)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async process(key: string): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.worker(key);
    } catch {
      // The worker reports its own errors; a throw is an unclassified, retryable failure.
      outcome = { ok: false, retry: true };
    }
    this.stats.processed++;
    this.running.delete(key);
    if (outcome.ok) {
      this.failures.delete(key);
      if (outcome.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
    } else if (outcome.retry) {
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.stats.retries++;
      this.addAfter(key, this.backoffFor(key));
    } else {
      this.failures.delete(key);
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }

  /** Resolves when nothing is queued or running (delayed adds do not count). */
  whenIdle(): Promise<void> {
    if (this.running.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work and waits (up to `graceMs`) for what runs to finish. */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    if (this.running.size === 0) return;
    await Promise.race([this.whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }
}
