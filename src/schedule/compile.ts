// Checks a `spec.schedule` once and turns it into numbers. Admission and the
// validate command reject bad schedules already; this is the last line, so a
// schedule that slipped past yields a message instead of an exception.
import { parseDuration } from '../api/duration.ts';
import { DAYS, type Day, type ScheduleSpec, type WindowSpec } from '../api/policy.ts';
import { timeZoneExists } from '../api/runtime-checks.ts';
import { HOUR } from './zone.ts';

/** One window: the weekdays it starts on (bit 0 = Sunday, as `Date#getUTCDay`) and minutes since local midnight. */
export interface CompiledWindow {
  readonly weekdays: number;
  readonly startMinute: number;
  /** Minutes after the start day's midnight; above 1440 when the window ends the next day. */
  readonly endMinute: number;
}

export interface CompiledSchedule {
  readonly zone: string;
  readonly windows: readonly CompiledWindow[];
  readonly prewarmMs: number;
}

export type Compiled = { ok: true; value: CompiledSchedule } | { ok: false; error: string };

export const MAX_PREWARM_MS = 12 * HOUR;
const EVERY_DAY = 0b111_1111;
const WEEKDAY_BIT: Readonly<Record<Day, number>> = { Sun: 1, Mon: 2, Tue: 4, Wed: 8, Thu: 16, Fri: 32, Sat: 64 };
const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

function clockMinutes(value: string, allowEndOfDay: boolean): number | undefined {
  if (allowEndOfDay && value === '24:00') return 1440;
  const m = CLOCK.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

function compileWindow(w: WindowSpec, path: string): CompiledWindow | string {
  const start = clockMinutes(w.start, false);
  if (start === undefined) return `${path}.start ${JSON.stringify(w.start)} is not a time of day; write HH:MM from 00:00 to 23:59, such as 07:30`;
  const end = clockMinutes(w.end, true);
  if (end === undefined) return `${path}.end ${JSON.stringify(w.end)} is not a time of day; write HH:MM from 00:00 to 24:00, such as 20:00`;
  if (start === end) return `${path} starts and ends at ${w.start}; give it different start and end times`;
  let weekdays = 0;
  for (const day of w.days ?? []) {
    const bit = (WEEKDAY_BIT as Partial<Record<string, number>>)[day];
    if (bit === undefined) return `${path}.days has ${JSON.stringify(day)}; use ${DAYS.join(', ')}`;
    weekdays |= bit;
  }
  return { weekdays: weekdays === 0 ? EVERY_DAY : weekdays, startMinute: start, endMinute: end < start ? end + 1440 : end };
}

function compilePrewarm(prewarm: string | undefined): number | string {
  if (prewarm === undefined || prewarm === '') return 0;
  const ms = parseDuration(prewarm);
  if (ms === undefined) return `prewarm ${JSON.stringify(prewarm)} is not a duration; use one such as 15m or 1h30m`;
  if (ms > MAX_PREWARM_MS) return `prewarm ${JSON.stringify(prewarm)} is longer than 12h; shorten it to 12h or less`;
  return ms;
}

export function compileSchedule(schedule: ScheduleSpec): Compiled {
  const zone = schedule.timeZone ?? 'UTC';
  if (!timeZoneExists(zone)) return { ok: false, error: `unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Europe/Berlin` };
  const prewarmMs = compilePrewarm(schedule.prewarm);
  if (typeof prewarmMs === 'string') return { ok: false, error: prewarmMs };
  const windows: CompiledWindow[] = [];
  for (const [i, w] of schedule.windows.entries()) {
    const compiled = compileWindow(w, `windows[${i}]`);
    if (typeof compiled === 'string') return { ok: false, error: compiled };
    windows.push(compiled);
  }
  return { ok: true, value: { zone, windows, prewarmMs } };
}
