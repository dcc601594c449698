import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { zonedWallTimeToInstant, type WallClock } from './zone.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const iso = (t: number): string => new Date(t).toISOString().replace(/:00\.000Z$/, 'Z');

function wall(text: string): WallClock {
  const [year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN] = text.split(/[- :]/).map(Number);
  return { year, month, day, hour, minute };
}

// An oracle that shares no code with zone.ts: a clock reading, as "local epoch ms", from its own formatter.
const readers = new Map<string, Intl.DateTimeFormat>();
function reading(zone: string, t: number): number {
  let f = readers.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    readers.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year ?? NaN, (p.month ?? NaN) - 1, p.day, p.hour, p.minute);
}
const clockOf = (local: number): WallClock => {
  const d = new Date(local);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
};

describe('zonedWallTimeToInstant', () => {
  const cases: { zone: string; wall: string; want: string; why: string }[] = [
    { zone: 'UTC', wall: '2026-02-28 23:59', want: '2026-02-28T23:59Z', why: 'UTC is the identity' },
    { zone: 'Europe/Berlin', wall: '2026-01-15 07:30', want: '2026-01-15T06:30Z', why: 'CET is +1' },
    { zone: 'Europe/Berlin', wall: '2026-07-15 07:30', want: '2026-07-15T05:30Z', why: 'CEST is +2' },
    { zone: 'America/New_York', wall: '2026-07-15 09:00', want: '2026-07-15T13:00Z', why: 'EDT is -4' },
    { zone: 'Asia/Kolkata', wall: '2026-07-15 00:00', want: '2026-07-14T18:30Z', why: 'half-hour offset, previous UTC day' },
    { zone: 'Europe/Berlin', wall: '2026-11-23 24:00', want: '2026-11-23T23:00Z', why: 'hour 24 is the next midnight' },
    // Berlin 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z.
    { zone: 'Europe/Berlin', wall: '2026-03-29 01:59', want: '2026-03-29T00:59Z', why: 'last minute before the gap' },
    { zone: 'Europe/Berlin', wall: '2026-03-29 02:00', want: '2026-03-29T01:00Z', why: 'start of the gap -> 03:00 CEST' },
    { zone: 'Europe/Berlin', wall: '2026-03-29 02:30', want: '2026-03-29T01:00Z', why: 'in the gap -> 03:00 CEST' },
    { zone: 'Europe/Berlin', wall: '2026-03-29 03:00', want: '2026-03-29T01:00Z', why: 'first reading after the gap' },
    { zone: 'Europe/Berlin', wall: '2026-03-29 03:01', want: '2026-03-29T01:01Z', why: 'CEST' },
    // Berlin 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00Z; 02:xx reads at 00:xxZ and again at 01:xxZ.
    { zone: 'Europe/Berlin', wall: '2026-10-25 01:59', want: '2026-10-24T23:59Z', why: 'before the repeat: CEST' },
    { zone: 'Europe/Berlin', wall: '2026-10-25 02:00', want: '2026-10-25T00:00Z', why: 'repeated: first occurrence' },
    { zone: 'Europe/Berlin', wall: '2026-10-25 02:30', want: '2026-10-25T00:30Z', why: 'repeated: first occurrence' },
    { zone: 'Europe/Berlin', wall: '2026-10-25 02:59', want: '2026-10-25T00:59Z', why: 'repeated: first occurrence' },
    { zone: 'Europe/Berlin', wall: '2026-10-25 03:00', want: '2026-10-25T02:00Z', why: 'after the repeat: CET' },
    // New York 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z.
    { zone: 'America/New_York', wall: '2026-03-08 01:59', want: '2026-03-08T06:59Z', why: 'EST' },
    { zone: 'America/New_York', wall: '2026-03-08 02:15', want: '2026-03-08T07:00Z', why: 'in the gap -> 03:00 EDT' },
    { zone: 'America/New_York', wall: '2026-03-08 03:30', want: '2026-03-08T07:30Z', why: 'EDT' },
    // New York 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00Z; 01:xx reads at 05:xxZ and again at 06:xxZ.
    { zone: 'America/New_York', wall: '2026-11-01 00:59', want: '2026-11-01T04:59Z', why: 'before the repeat: EDT' },
    { zone: 'America/New_York', wall: '2026-11-01 01:00', want: '2026-11-01T05:00Z', why: 'repeated: first occurrence' },
    { zone: 'America/New_York', wall: '2026-11-01 01:30', want: '2026-11-01T05:30Z', why: 'repeated: first occurrence' },
    { zone: 'America/New_York', wall: '2026-11-01 02:00', want: '2026-11-01T07:00Z', why: 'after the repeat: EST' },
    // Lord Howe moves by 30 minutes; Santiago jumps at midnight, so 2026-09-06 00:xx does not exist.
    { zone: 'Australia/Lord_Howe', wall: '2026-10-04 02:15', want: '2026-10-03T15:30Z', why: '30-minute gap' },
    { zone: 'America/Santiago', wall: '2026-09-06 00:30', want: '2026-09-06T04:00Z', why: 'gap at midnight -> 01:00' },
  ];
  for (const c of cases) {
    it(`${c.zone} ${c.wall}: ${c.why}`, () => {
      assert.equal(iso(zonedWallTimeToInstant(c.zone, wall(c.wall))), c.want);
    });
  }

  it('throws RangeError for a zone the runtime does not know', () => {
    assert.throws(() => zonedWallTimeToInstant('Mars/Base', wall('2026-01-01 00:00')), RangeError);
  });
});

describe('zonedWallTimeToInstant against a brute-force oracle', () => {
  // The rule of ADR 0004 stated directly: the first instant whose reading is at or after the wall time.
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham', 'America/St_Johns', 'Africa/Casablanca'];

  /** Local days (days since 1970-01-01) on which `zone`'s offset changes during 2026. */
  function transitionDays(zone: string): number[] {
    const days: number[] = [];
    const offset = (t: number): number => reading(zone, t) - t;
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += HOUR) {
      if (offset(t) !== offset(t + HOUR)) days.push(Math.floor(reading(zone, t + HOUR) / DAY));
    }
    return days;
  }

  for (const zone of zones) {
    it(`${zone}: every 5 minutes of each 2026 transition day and its neighbours`, () => {
      const days = transitionDays(zone);
      assert.ok(days.length >= 2, `${zone} should change offset in 2026`);
      for (const n of days) {
        // Minute-grid readings from 16h before to 40h after the day's local midnight (as UTC).
        const grid: { t: number; r: number }[] = [];
        for (let t = (n - 1) * DAY - 16 * HOUR; t <= (n + 2) * DAY + 16 * HOUR; t += MINUTE) grid.push({ t, r: reading(zone, t) });
        for (let local = (n - 1) * DAY; local <= (n + 2) * DAY; local += 5 * MINUTE) {
          const want = grid.find((g) => g.r >= local)?.t;
          assert.equal(iso(zonedWallTimeToInstant(zone, clockOf(local))), iso(want ?? NaN), `${zone} ${iso(local)} (local)`);
        }
      }
    });
  }

  it('a reading that exists maps back to its first occurrence (any zone, any minute)', () => {
    const zone = fc.constantFrom('UTC', ...zones, 'Asia/Kolkata', 'Pacific/Kiritimati', 'Pacific/Pago_Pago');
    const minute = fc.integer({ min: Date.UTC(2024, 0, 1) / MINUTE, max: Date.UTC(2029, 0, 1) / MINUTE });
    fc.assert(
      fc.property(zone, minute, (z, m) => {
        const t = m * MINUTE;
        const back = zonedWallTimeToInstant(z, clockOf(reading(z, t)));
        assert.ok(back <= t, 'never later than an instant that reads the same');
        assert.equal(reading(z, back), reading(z, t));
        assert.ok(back === t || back <= t - 30 * MINUTE, 'an earlier occurrence is at least one DST shift earlier');
      }),
      { numRuns: 2000 },
    );
  });
});
