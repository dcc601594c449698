// Which pass an instance needs when the work queue hands it over
// (docs/adr/0012). A timed wake-up (resync, progress poll, schedule change,
// retry) or a budget change is due a pass over the whole instance; a policy
// change between those needs only its database's cell, so a new policy is
// acted on without re-observing every other database first. The queue still
// runs one pass per instance at a time; this only decides its extent.
import type { Outcome } from './queue.ts';

export type PassKind = { readonly kind: 'whole' } | { readonly kind: 'cells'; readonly databases: ReadonlySet<string> } | { readonly kind: 'nothing'; readonly dueInMs: number };

export class PassSchedule {
  /** When each instance's next whole pass is due, and when that was decided; absent: now. */
  private readonly wholeDueAt = new Map<string, { readonly at: number; readonly decidedAt: number }>();
  /** Databases whose policies changed since the instance's last pass took them. */
  private readonly touchedDbs = new Map<string, Set<string>>();

  /** A policy of this database changed. */
  touch(instance: string, database: string): void {
    const set = this.touchedDbs.get(instance);
    if (set) set.add(database);
    else this.touchedDbs.set(instance, new Set([database]));
  }

  /** Something instance-wide changed (a budget, a lost key): the next pass covers the whole instance. */
  wholeNow(instance: string): void {
    this.wholeDueAt.delete(instance);
  }

  /** What the pass starting now covers; what it covers is no longer pending. */
  take(instance: string, now: number): PassKind {
    const due = this.wholeDueAt.get(instance);
    // A clock that went back (a step of the wall clock, a test's clock) must not postpone the whole pass.
    if (due === undefined || due.at <= now || now < due.decidedAt) {
      this.touchedDbs.delete(instance);
      return { kind: 'whole' };
    }
    const databases = this.takeTouched(instance);
    return databases.size > 0 ? { kind: 'cells', databases } : { kind: 'nothing', dueInMs: due.at - now };
  }

  /** The databases touched since the last take: a running pass does their cells next. */
  takeTouched(instance: string): ReadonlySet<string> {
    const set = this.touchedDbs.get(instance);
    this.touchedDbs.delete(instance);
    return set ?? new Set();
  }

  /**
   * Records a pass's outcome and returns the one the queue should act on:
   * a partial pass's wish for another look (a load in flight) brings the
   * next whole pass forward; otherwise the queue comes back when that is due.
   */
  passed(instance: string, kind: PassKind['kind'], outcome: Outcome, now: number): Outcome {
    if (!outcome.ok) {
      // A failed pass is retried (after the queue's backoff) over the whole instance.
      this.wholeDueAt.delete(instance);
      return outcome;
    }
    const wanted = outcome.requeueAfterMs === undefined ? undefined : { at: now + outcome.requeueAfterMs, decidedAt: now };
    if (kind === 'whole') {
      if (wanted) this.wholeDueAt.set(instance, wanted);
      return outcome;
    }
    const due = this.wholeDueAt.get(instance);
    if (due === undefined) return { ok: true, requeueAfterMs: 0 };
    const next = wanted && wanted.at < due.at ? wanted : due;
    this.wholeDueAt.set(instance, next);
    return { ok: true, requeueAfterMs: Math.max(0, next.at - now) };
  }
}
