// Is a schedule active at `now`, and when does that next change?
import type { ScheduleSpec } from '../api/policy.ts';
import { compileSchedule, type CompiledSchedule } from './compile.ts';
import { merge, occurrences, type Interval } from './windows.ts';
import { DAY, HOUR } from './zone.ts';

export interface ScheduleEvaluation {
  /** In a window, or within `prewarm` before one opens: the schedule wants the collections loaded. */
  readonly active: boolean;
  /** In a window (merged with any window it overlaps or touches). */
  readonly inWindow: boolean;
  /** Active only because a window opens within `prewarm`. */
  readonly prewarming: boolean;
  /** The next instant (epoch ms) strictly after `now` at which `active` flips; absent when it never does. */
  readonly nextChange?: number;
  /** When the window `now` is in closes (absent outside windows, or when windows never close). */
  readonly currentWindowEnd?: number;
  /** When the next window opens, after the current one if `now` is in one. */
  readonly nextWindowStart?: number;
}

export type ScheduleResult = { ok: true; value: ScheduleEvaluation } | { ok: false; error: string };

// Window starts are expanded for local days from LOOK_BACK_DAYS before `now`
// to one of these horizons after it. An occurrence is under 26h long, so three
// days back see every one that still matters. The first horizon resolves every
// schedule that flips at least weekly; the second also one whose only weekly
// gap collapsed on a DST day (a 02:00-02:30 gap on spring-forward Sunday).
// Unresolved after that means the windows cover every instant.
const LOOK_BACK_DAYS = 3;
const HORIZON_DAYS = [9, 23] as const;
/** The furthest any zone is ahead of UTC. */
const MAX_OFFSET = 14 * HOUR;
/** Leaves room for the horizon within the range of `Date`. */
const LATEST_INSTANT = 8.64e15 - 40 * DAY;

export function evaluateSchedule(schedule: ScheduleSpec, now: number): ScheduleResult {
  if (!Number.isFinite(now) || Math.abs(now) > LATEST_INSTANT) return { ok: false, error: `cannot evaluate a schedule at ${now}: not an instant in epoch milliseconds; this is a bug in the caller, not in the schedule` };
  const compiled = compileSchedule(schedule);
  return compiled.ok ? { ok: true, value: evaluateCompiled(compiled.value, now) } : compiled;
}

function evaluateCompiled(schedule: CompiledSchedule, now: number): ScheduleEvaluation {
  let result = evaluateWithin(schedule, now, HORIZON_DAYS[0]);
  if (!result.complete) result = evaluateWithin(schedule, now, HORIZON_DAYS[1]);
  return result.value;
}

/** Index of the first interval that ends after `t` (intervals sorted and disjoint). */
function firstEndingAfter(intervals: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((intervals[mid]?.end ?? Infinity) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The interval containing an instant, and the first one starting after it. */
interface Located {
  readonly current?: Interval;
  readonly next?: Interval;
}

function locate(intervals: readonly Interval[], t: number): Located {
  const i = firstEndingAfter(intervals, t);
  const candidate = intervals[i];
  if (candidate === undefined) return {};
  if (candidate.start > t) return { next: candidate };
  const next = intervals[i + 1];
  return next === undefined ? { current: candidate } : { current: candidate, next };
}

/** The windows and the active intervals around `now`, and up to when each is trusted. */
interface Expansion {
  readonly windows: readonly Interval[];
  readonly active: readonly Interval[];
  readonly windowsKnownUntil: number;
  readonly activeKnownUntil: number;
}

function expand(schedule: CompiledSchedule, now: number, aheadDays: number): Expansion {
  const { zone, windows: specs, prewarmMs } = schedule;
  const today = Math.floor(now / DAY);
  const lastDay = today + aheadDays;
  const found = occurrences(zone, specs, today - LOOK_BACK_DAYS, lastDay);
  // Occurrences starting after lastDay open no earlier than this, so instants
  // before it are classified exactly; later boundaries are not trusted.
  const windowsKnownUntil = (lastDay + 1) * DAY - MAX_OFFSET;
  const windows = merge(found);
  const active = prewarmMs === 0 ? windows : merge(found.map((o) => ({ start: o.start - prewarmMs, end: o.end })));
  return { windows, active, windowsKnownUntil, activeKnownUntil: windowsKnownUntil - prewarmMs };
}

/** `t`, when it falls before `limit`; a later instant is not trusted. */
function knownBefore(t: number | undefined, limit: number): number | undefined {
  return t !== undefined && t < limit ? t : undefined;
}

/** The next flip of `active` and of the window, each only where the expansion is trusted. */
function boundaries(a: Located, w: Located, x: Expansion): Pick<ScheduleEvaluation, 'nextChange' | 'currentWindowEnd' | 'nextWindowStart'> {
  const nextChange = knownBefore(a.current ? a.current.end : a.next?.start, x.activeKnownUntil);
  const currentWindowEnd = knownBefore(w.current?.end, x.windowsKnownUntil);
  const nextWindowStart = knownBefore(w.next?.start, x.windowsKnownUntil);
  return {
    ...(nextChange === undefined ? {} : { nextChange }),
    ...(currentWindowEnd === undefined ? {} : { currentWindowEnd }),
    ...(nextWindowStart === undefined ? {} : { nextWindowStart }),
  };
}

function evaluateWithin(schedule: CompiledSchedule, now: number, aheadDays: number): { complete: boolean; value: ScheduleEvaluation } {
  const x = expand(schedule, now, aheadDays);
  const a = locate(x.active, now);
  const w = locate(x.windows, now);
  const value: ScheduleEvaluation = {
    active: a.current !== undefined,
    inWindow: w.current !== undefined,
    prewarming: a.current !== undefined && w.current === undefined,
    ...boundaries(a, w, x),
  };
  // Complete when every boundary this instant has was found within the horizon.
  const complete = value.nextChange !== undefined && value.nextWindowStart !== undefined && (!value.inWindow || value.currentWindowEnd !== undefined);
  return { complete, value };
}
