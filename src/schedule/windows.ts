// Expands `spec.schedule.windows` into concrete, merged intervals of instants.
import type { Day, WindowSpec } from '../api/policy.ts';
import { zonedWallTimeToInstant } from './zone.ts';

export interface Interval {
  start: number;
  end: number;
}

const DAY_INDEX: Readonly<Record<Day, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function parseClock(s: string): [number, number] {
  return [Number(s.slice(0, 2)), Number(s.slice(3, 5))];
}

/** Local calendar date `offsetDays` after (y, m, d). */
export function addDays(y: number, m: number, d: number, offsetDays: number): { y: number; m: number; d: number; weekday: number } {
  const t = new Date(Date.UTC(y, m - 1, d + offsetDays));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), weekday: t.getUTCDay() };
}

/** Each window occurrence that starts on a local date in [from, to] days around (y, m, d). */
export function windowIntervals(zone: string, windows: readonly WindowSpec[], origin: { y: number; m: number; d: number }, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (let offset = from; offset <= to; offset++) {
    const date = addDays(origin.y, origin.m, origin.d, offset);
    for (const w of windows) {
      const days = w.days ?? [];
      if (days.length > 0 && !days.some((day) => DAY_INDEX[day] === date.weekday)) continue;
      const [sh, sm] = parseClock(w.start);
      const start = zonedWallTimeToInstant(zone, { y: date.y, m: date.m, d: date.d, hh: sh, mm: sm });
      let end: number;
      if (w.end === '24:00') {
        const next = addDays(date.y, date.m, date.d, 1);
        end = zonedWallTimeToInstant(zone, { y: next.y, m: next.m, d: next.d, hh: 0, mm: 0 });
      } else {
        const [eh, em] = parseClock(w.end);
        const next = w.end < w.start ? addDays(date.y, date.m, date.d, 1) : date;
        end = zonedWallTimeToInstant(zone, { y: next.y, m: next.m, d: next.d, hh: eh, mm: em });
      }
      // A window that lies wholly inside a DST gap has no instants.
      if (end > start) out.push({ start, end });
    }
  }
  return out;
}

/** Sorts and merges overlapping or touching intervals. */
export function merge(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}
