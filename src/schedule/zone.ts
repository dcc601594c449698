// Wall-clock time in an IANA zone -> instants, using only the runtime's Intl
// time-zone data. The rule (ADR 0004): a wall time names the first instant
// whose reading is at or after it. In a spring-forward gap that is the moment
// the clocks jump (02:30 -> 03:00); in a repeated autumn hour it is the first
// occurrence, so a window never opens twice.

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A wall-clock reading; `month` is 1-12. Out-of-range fields roll over as in `Date.UTC` (hour 24 is the next day's 00:00). */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Offsets in force around one local calendar day; `transition` is the instant they change, or Infinity. */
interface DayOffsets {
  readonly before: number;
  readonly after: number;
  readonly transition: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const dayOffsets = new Map<string, Map<number, DayOffsets>>();
const DAYS_CACHED_PER_ZONE = 4096;

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** UTC offset of `zone` at `instant` in ms (whole seconds; tz data has no finer offsets). */
function offsetAt(zone: string, instant: number): number {
  const f = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type in f) f[part.type as keyof typeof f] = Number(part.value);
  }
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

// Every wall time of local day `n` (00:00 to 24:00) lies within -14h..+12h of
// UTC, so its instant lies in [n*DAY - 14h, n*DAY + 36h]. Sampling just outside
// that span finds the offset before and after; where they differ, a binary
// search over whole seconds finds the transition. This assumes at most one
// transition in ~2 days, true of every zone's rules in this century.
function computeDayOffsets(zone: string, n: number): DayOffsets {
  let lo = n * DAY - 15 * HOUR;
  let hi = n * DAY + 38 * HOUR;
  const before = offsetAt(zone, lo);
  const after = offsetAt(zone, hi);
  if (before === after) return { before, after, transition: Infinity };
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, transition: hi };
}

function offsetsOfDay(zone: string, n: number): DayOffsets {
  let days = dayOffsets.get(zone);
  if (days === undefined) {
    days = new Map();
    dayOffsets.set(zone, days);
  }
  let o = days.get(n);
  if (o === undefined) {
    o = computeDayOffsets(zone, n);
    if (days.size >= DAYS_CACHED_PER_ZONE) days.clear();
    days.set(n, o);
  }
  return o;
}

/**
 * The instant named by a wall time given as "local epoch ms" (`Date.UTC` of the
 * wall-clock fields): the first instant whose reading is at or after it.
 */
export function localToInstant(zone: string, local: number): number {
  const { before, after, transition } = offsetsOfDay(zone, Math.floor(local / DAY));
  const early = local - before;
  if (early < transition) return early;
  // Past the transition: the later offset applies. If that lands before the
  // transition, the wall time was skipped (a gap) and the jump itself is the
  // first instant reading later than it.
  return Math.max(transition, local - after);
}

/**
 * The instant (epoch ms) a wall-clock time names in `zone`. Skipped times map
 * to the first instant after the gap; repeated times to their first
 * occurrence. Throws RangeError for a zone the runtime does not know (check
 * with `timeZoneExists` first).
 */
export function zonedWallTimeToInstant(zone: string, wall: WallClock): number {
  return localToInstant(zone, Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute));
}
