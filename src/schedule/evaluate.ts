// Is a schedule active at `now`, and when does that next change?
import { parseDuration } from '../api/duration.ts';
import type { ScheduleSpec } from '../api/policy.ts';
import { timeZoneExists } from '../api/runtime-checks.ts';
import { merge, windowIntervals, type Interval } from './windows.ts';
import { wallTimeOf } from './zone.ts';

export interface ScheduleEvaluation {
  /** Inside a window, or within `prewarm` before one. */
  readonly active: boolean;
  readonly inWindow: boolean;
  readonly prewarming: boolean;
  /** Next instant (epoch ms) at which `active` flips; absent when it never does. */
  readonly nextChange?: number;
  readonly currentWindowEnd?: number;
  readonly nextWindowStart?: number;
}

export type ScheduleResult = { ok: true; value: ScheduleEvaluation } | { ok: false; error: string };

/** Windows are at most ~48h long and prewarm at most 12h, so 3 days back and 9 ahead see every interval that matters. */
const LOOK_BACK_DAYS = 3;
const LOOK_AHEAD_DAYS = 9;

function containing(intervals: readonly Interval[], t: number): Interval | undefined {
  return intervals.find((i) => i.start <= t && t < i.end);
}

export function evaluateSchedule(schedule: ScheduleSpec, now: number): ScheduleResult {
  const zone = schedule.timeZone ?? 'UTC';
  if (!timeZoneExists(zone)) return { ok: false, error: `unknown time zone ${JSON.stringify(zone)} in spec.schedule.timeZone; use an IANA name such as Europe/Berlin` };
  const prewarmMs = schedule.prewarm ? (parseDuration(schedule.prewarm) ?? 0) : 0;
  const today = wallTimeOf(zone, now);
  const raw = windowIntervals(zone, schedule.windows, today, -LOOK_BACK_DAYS, LOOK_AHEAD_DAYS);
  const windows = merge(raw);
  const active = merge(raw.map((i) => ({ start: i.start - prewarmMs, end: i.end })));
  const horizonEnd = Math.max(...active.map((i) => i.end), now);
  const current = containing(active, now);
  const inWindow = containing(windows, now);
  const nextWindow = windows.find((i) => i.start > now);
  let nextChange: number | undefined;
  if (current) nextChange = current.end >= horizonEnd && current.end - now > (LOOK_AHEAD_DAYS - 1) * 86_400_000 ? undefined : current.end;
  else nextChange = active.find((i) => i.start > now)?.start;
  return {
    ok: true,
    value: {
      active: current !== undefined,
      inWindow: inWindow !== undefined,
      prewarming: current !== undefined && inWindow === undefined,
      ...(nextChange === undefined ? {} : { nextChange }),
      ...(inWindow ? { currentWindowEnd: inWindow.end } : {}),
      ...(nextWindow ? { nextWindowStart: nextWindow.start } : {}),
    },
  };
}
