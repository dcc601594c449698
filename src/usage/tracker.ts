// Turns usage readings into what the planner decides with: per collection,
// when it was last used, since when usage has been watched without a gap,
// or why usage is unknown (then nothing may be released for idleness).
// Pure apart from its memory; the clock is injected.
import type { CollectionUsage } from '../api/usage-source.ts';
import type { UsageReading } from './types.ts';

export type { CollectionUsage } from '../api/usage-source.ts';

export interface UsageTrackerOptions {
  readonly now: () => Date;
  /** A good reading older than this no longer counts (the reader has stopped being called). */
  readonly staleAfterMs: number;
}

export class UsageTracker {
  private readonly now: () => Date;
  private readonly staleAfterMs: number;
  private readonly lastUsedByDatabase = new Map<string, Map<string, Date>>();
  /** From series without a database label: they apply to the name in every database. */
  private readonly lastUsedAnyDatabase = new Map<string, Date>();
  private since: Date | undefined;
  private lastGood: Date | undefined;
  private lastFailure: Extract<UsageReading, { ok: false }> | undefined;

  constructor(opts: UsageTrackerOptions) {
    this.now = opts.now;
    this.staleAfterMs = opts.staleAfterMs;
  }

  /** Start of the current gap-free watch, if any. */
  get trackedSince(): Date | undefined {
    return this.since;
  }

  record(reading: UsageReading): void {
    if (!reading.ok) {
      this.lastFailure = reading;
      return;
    }
    this.lastFailure = undefined;
    const start = reading.since ?? reading.at;
    // A reading that does not reach back to the previous good one leaves a gap nobody watched: idleness starts again.
    if (this.since === undefined || this.lastGood === undefined || start > this.lastGood) this.since = start;
    this.lastGood = reading.at;
    for (const name of reading.used.anyDatabase) this.lastUsedAnyDatabase.set(name, reading.at);
    for (const [database, names] of reading.used.byDatabase) {
      let m = this.lastUsedByDatabase.get(database);
      if (m === undefined) {
        m = new Map();
        this.lastUsedByDatabase.set(database, m);
      }
      for (const name of names) m.set(name, reading.at);
    }
  }

  usage(database: string, collection: string): CollectionUsage {
    if (this.lastFailure !== undefined) return { state: 'Unknown', reason: this.lastFailure.reason, message: this.lastFailure.message };
    if (this.since === undefined || this.lastGood === undefined) return { state: 'Unknown', reason: 'UsageNotRead', message: 'usage has not been read yet' };
    const age = this.now().getTime() - this.lastGood.getTime();
    if (age > this.staleAfterMs) {
      return { state: 'Unknown', reason: 'UsageStale', message: `the last usage reading is ${Math.round(age / 1000)}s old (limit ${Math.round(this.staleAfterMs / 1000)}s); nothing is released for idleness until a new one` };
    }
    const a = this.lastUsedByDatabase.get(database)?.get(collection);
    const b = this.lastUsedAnyDatabase.get(collection);
    const last = Math.max(a?.getTime() ?? Number.NEGATIVE_INFINITY, b?.getTime() ?? Number.NEGATIVE_INFINITY);
    return { state: 'Known', trackedSince: this.since.getTime(), ...(Number.isFinite(last) ? { lastUsedTime: last } : {}) };
  }

  /** Drops what is remembered of a collection that no longer exists. */
  forget(database: string, collection: string): void {
    const m = this.lastUsedByDatabase.get(database);
    m?.delete(collection);
    if (m?.size === 0) this.lastUsedByDatabase.delete(database);
  }
}
