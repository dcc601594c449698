// Wall-clock time in an IANA zone <-> instants, with the DST rules of ADR 0004:
// a wall time inside a spring-forward gap maps to the first valid instant after
// the gap; a wall time that occurs twice maps to its first occurrence.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
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

export interface WallTime {
  readonly y: number;
  readonly m: number;
  readonly d: number;
  readonly hh: number;
  readonly mm: number;
}

/** The wall-clock reading of `instant` in `zone`. */
export function wallTimeOf(zone: string, instant: number): WallTime & { ss: number } {
  const parts = formatter(zone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour'), mm: get('minute'), ss: get('second') };
}

/** Offset of `zone` from UTC at `instant`, in milliseconds. */
export function offsetAt(zone: string, instant: number): number {
  const w = wallTimeOf(zone, instant);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

const sameWall = (a: WallTime, b: WallTime): boolean => a.y === b.y && a.m === b.m && a.d === b.d && a.hh === b.hh && a.mm === b.mm;

const cache = new Map<string, number>();
const CACHE_LIMIT = 100_000;

/** The instant a wall-clock time names in `zone` (gap: first valid instant after; overlap: first occurrence). */
export function zonedWallTimeToInstant(zone: string, wall: WallTime): number {
  const key = `${zone}|${wall.y}|${wall.m}|${wall.d}|${wall.hh}|${wall.mm}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = convert(zone, wall);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
  return result;
}

function convert(zone: string, want: WallTime): number {
  const guess = Date.UTC(want.y, want.m - 1, want.d, want.hh, want.mm);
  const day = 86_400_000;
  const before = guess - offsetAt(zone, guess - day);
  const after = guess - offsetAt(zone, guess + day);
  const candidates = [...new Set([before, after])].filter((t) => sameWall(wallTimeOf(zone, t), want)).sort((a, b) => a - b);
  if (candidates[0] !== undefined) return candidates[0];
  // Nothing reads `want`: it falls in a gap. The first valid instant after the
  // gap is the transition itself, which lies between the two readings.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  const offLo = offsetAt(zone, lo);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(zone, mid) === offLo) lo = mid;
    else hi = mid;
  }
  return hi;
}
