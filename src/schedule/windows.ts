// Window occurrences as intervals of instants, and merging them.
import type { CompiledWindow } from './compile.ts';
import { DAY, MINUTE, localToInstant } from './zone.ts';

/** Half-open [start, end) in epoch ms. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Day 0 (1970-01-01) was a Thursday; bit 0 of `CompiledWindow.weekdays` is Sunday. */
const weekdayBit = (localDay: number): number => 1 << (((localDay + 4) % 7) + 7) % 7;

/**
 * Every occurrence of `windows` that starts on a local calendar day in
 * [firstDay, lastDay] (days since 1970-01-01 in `zone`), unsorted. An
 * occurrence that lies wholly inside a spring-forward gap has no instants and
 * is left out.
 */
export function occurrences(zone: string, windows: readonly CompiledWindow[], firstDay: number, lastDay: number): Interval[] {
  const out: Interval[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const bit = weekdayBit(day);
    for (const w of windows) {
      if ((w.weekdays & bit) === 0) continue;
      const start = localToInstant(zone, day * DAY + w.startMinute * MINUTE);
      const end = localToInstant(zone, day * DAY + w.endMinute * MINUTE);
      if (end > start) out.push({ start, end });
    }
  }
  return out;
}

/** Sorted, disjoint intervals covering the same instants; overlapping and touching ones become one. */
export function merge(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}
