import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ScheduleSpec } from '../api/policy.ts';
import { describeSchedule } from './describe.ts';
import { evaluateSchedule, type ScheduleEvaluation } from './evaluate.ts';
import { zonedWallTimeToInstant } from './zone.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function ev(s: ScheduleSpec, now: string): ScheduleEvaluation {
  const r = evaluateSchedule(s, at(now));
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

const berlinOffice: ScheduleSpec = { timeZone: 'Europe/Berlin', windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '07:30', end: '20:00' }] };

describe('zone conversion', () => {
  it('maps wall time to instants across offsets', () => {
    assert.equal(iso(zonedWallTimeToInstant('Europe/Berlin', { y: 2026, m: 1, d: 15, hh: 7, mm: 30 })), '2026-01-15T06:30:00.000Z');
    assert.equal(iso(zonedWallTimeToInstant('Europe/Berlin', { y: 2026, m: 7, d: 15, hh: 7, mm: 30 })), '2026-07-15T05:30:00.000Z');
    assert.equal(iso(zonedWallTimeToInstant('America/New_York', { y: 2026, m: 7, d: 15, hh: 9, mm: 0 })), '2026-07-15T13:00:00.000Z');
    assert.equal(iso(zonedWallTimeToInstant('UTC', { y: 2026, m: 2, d: 28, hh: 23, mm: 59 })), '2026-02-28T23:59:00.000Z');
  });

  it('a wall time in the spring-forward gap is the first instant after it', () => {
    // Berlin 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z.
    assert.equal(iso(zonedWallTimeToInstant('Europe/Berlin', { y: 2026, m: 3, d: 29, hh: 2, mm: 30 })), '2026-03-29T01:00:00.000Z');
    // New York 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z.
    assert.equal(iso(zonedWallTimeToInstant('America/New_York', { y: 2026, m: 3, d: 8, hh: 2, mm: 15 })), '2026-03-08T07:00:00.000Z');
  });

  it('a wall time in the repeated hour is its first occurrence', () => {
    // Berlin 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00Z; 02:30 happens at 00:30Z and 01:30Z.
    assert.equal(iso(zonedWallTimeToInstant('Europe/Berlin', { y: 2026, m: 10, d: 25, hh: 2, mm: 30 })), '2026-10-25T00:30:00.000Z');
    // New York 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    assert.equal(iso(zonedWallTimeToInstant('America/New_York', { y: 2026, m: 11, d: 1, hh: 1, mm: 30 })), '2026-11-01T05:30:00.000Z');
  });
});

describe('evaluateSchedule', () => {
  it('Berlin business hours, winter', () => {
    const inside = ev(berlinOffice, '2026-11-23T10:00:00Z'); // Mon 11:00 CET
    assert.equal(inside.active, true);
    assert.equal(iso(inside.nextChange), '2026-11-23T19:00:00.000Z');
    const evening = ev(berlinOffice, '2026-11-23T19:00:00Z'); // exactly 20:00: closed
    assert.equal(evening.active, false);
    assert.equal(iso(evening.nextChange), '2026-11-24T06:30:00.000Z');
  });

  it('skips the weekend', () => {
    const fri = ev(berlinOffice, '2026-11-27T20:00:00Z');
    assert.equal(fri.active, false);
    assert.equal(iso(fri.nextChange), '2026-11-30T06:30:00.000Z');
  });

  it('a window crossing midnight belongs to the day it starts on', () => {
    const night: ScheduleSpec = { timeZone: 'UTC', windows: [{ days: ['Fri'], start: '22:00', end: '02:00' }] };
    assert.equal(ev(night, '2026-11-28T01:00:00Z').active, true, 'Sat 01:00 is in Friday night');
    assert.equal(iso(ev(night, '2026-11-28T01:00:00Z').nextChange), '2026-11-28T02:00:00.000Z');
    assert.equal(ev(night, '2026-11-29T01:00:00Z').active, false, 'Sun 01:00 is not: Saturday has no window');
    const sunday: ScheduleSpec = { timeZone: 'UTC', windows: [{ days: ['Sun'], start: '23:00', end: '01:00' }] };
    assert.equal(ev(sunday, '2026-11-30T00:30:00Z').active, true, 'Sunday night runs into Monday');
  });

  it('24:00 is the end of the day', () => {
    const s: ScheduleSpec = { timeZone: 'UTC', windows: [{ start: '18:00', end: '24:00' }] };
    assert.equal(iso(ev(s, '2026-11-23T20:00:00Z').nextChange), '2026-11-24T00:00:00.000Z');
  });

  it('overlapping and touching windows merge', () => {
    const s: ScheduleSpec = { timeZone: 'UTC', windows: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '14:00' }, { start: '14:00', end: '15:00' }] };
    assert.equal(iso(ev(s, '2026-11-23T09:00:00Z').nextChange), '2026-11-23T15:00:00.000Z');
  });

  it('windows covering every instant never change', () => {
    const s: ScheduleSpec = { timeZone: 'UTC', windows: [{ start: '00:00', end: '12:00' }, { start: '12:00', end: '24:00' }] };
    const e = ev(s, '2026-11-23T09:00:00Z');
    assert.equal(e.active, true);
    assert.equal(e.nextChange, undefined);
  });

  it('prewarm starts early and says so', () => {
    const s: ScheduleSpec = { ...berlinOffice, prewarm: '15m' };
    const early = ev(s, '2026-11-24T06:20:00Z'); // 07:20 Berlin
    assert.equal(early.active, true);
    assert.equal(early.prewarming, true);
    assert.equal(early.inWindow, false);
    assert.equal(iso(ev(s, '2026-11-24T06:00:00Z').nextChange), '2026-11-24T06:15:00.000Z');
  });

  it('prewarm can cross midnight', () => {
    const s: ScheduleSpec = { timeZone: 'UTC', prewarm: '1h', windows: [{ start: '00:30', end: '02:00' }] };
    assert.equal(ev(s, '2026-11-23T23:45:00Z').active, true);
  });

  it('spring forward: a window opening inside the gap opens at the first valid instant', () => {
    const s: ScheduleSpec = { timeZone: 'Europe/Berlin', windows: [{ start: '02:30', end: '05:00' }] };
    const before = ev(s, '2026-03-29T00:00:00Z');
    assert.equal(iso(before.nextChange), '2026-03-29T01:00:00.000Z');
    const ny: ScheduleSpec = { timeZone: 'America/New_York', windows: [{ start: '01:00', end: '02:30' }] };
    // Closing inside the gap closes at the first valid instant after it (03:00 EDT = 07:00Z).
    assert.equal(iso(ev(ny, '2026-03-08T06:30:00Z').nextChange), '2026-03-08T07:00:00.000Z');
  });

  it('fall back: the repeated hour does not open a window twice', () => {
    const s: ScheduleSpec = { timeZone: 'Europe/Berlin', windows: [{ start: '02:15', end: '02:45' }] };
    const first = ev(s, '2026-10-25T00:00:00Z');
    assert.equal(iso(first.nextChange), '2026-10-25T00:15:00.000Z');
    const during = ev(s, '2026-10-25T00:20:00Z');
    assert.equal(iso(during.nextChange), '2026-10-25T00:45:00.000Z');
    const second = ev(s, '2026-10-25T01:20:00Z'); // 02:20 CET, the second reading
    assert.equal(second.active, false);
    assert.equal(iso(second.nextChange), '2026-10-26T01:15:00.000Z');
    const ny: ScheduleSpec = { timeZone: 'America/New_York', windows: [{ start: '01:10', end: '01:50' }] };
    assert.equal(ev(ny, '2026-11-01T06:20:00Z').active, false, 'second 01:20 EST is outside');
  });

  it('reports an unknown time zone instead of throwing', () => {
    const r = evaluateSchedule({ timeZone: 'Mars/Olympus_Mons', windows: [{ start: '01:00', end: '02:00' }] }, at('2026-11-23T00:00:00Z'));
    assert.ok(!r.ok);
    assert.match(r.error, /unknown time zone.*Europe\/Berlin/);
  });

  it('a whole week, minute by minute: active flips exactly at the predicted instants', () => {
    const s: ScheduleSpec = {
      timeZone: 'Europe/Berlin',
      prewarm: '20m',
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '07:30', end: '20:00' },
        { days: ['Sat'], start: '22:00', end: '02:00' },
        { days: ['Sun'], start: '12:00', end: '12:30' },
      ],
    };
    const start = at('2026-10-22T00:00:00Z'); // spans the 2026-10-25 fall-back
    let state = ev(s, new Date(start).toISOString());
    let flips = 0;
    for (let t = start + 60_000; t < start + 8 * 86_400_000; t += 60_000) {
      const now = evaluateSchedule(s, t);
      assert.ok(now.ok);
      if (now.value.active !== state.active) {
        flips++;
        assert.equal(t, state.nextChange, `flip at ${iso(t)} but predicted ${iso(state.nextChange)}`);
      } else if (state.nextChange !== undefined) {
        assert.ok(t < state.nextChange, `no flip at predicted ${iso(state.nextChange)}`);
      }
      state = now.value;
    }
    assert.ok(flips >= 14, `only ${flips} flips in a week`);
  });

  it('describes itself for people', () => {
    assert.equal(describeSchedule({ ...berlinOffice, prewarm: '15m' }), 'Mon-Fri 07:30-20:00 (Europe/Berlin), prewarm 15m');
  });
});

describe('schedule properties', () => {
  const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const arbSchedule = fc.record({
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
    windows: fc.array(
      fc.record({ days: fc.subarray(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const), start: clock, end: clock }).filter((w) => w.start !== w.end),
      { minLength: 1, maxLength: 3 },
    ),
    prewarm: fc.constantFrom(undefined, '10m', '1h', '12h'),
  });
  const arbNow = fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') });

  it('never throws; nextChange is after now; active is constant until it, and flips at it', () => {
    fc.assert(
      fc.property(arbSchedule, arbNow, (raw, now) => {
        const s = { ...raw, ...(raw.prewarm ? {} : { prewarm: undefined }) } as ScheduleSpec;
        const r = evaluateSchedule(s, now);
        assert.ok(r.ok);
        const { nextChange, active } = r.value;
        if (nextChange === undefined) return;
        assert.ok(nextChange > now);
        const mid = evaluateSchedule(s, Math.floor((now + nextChange) / 2));
        assert.ok(mid.ok && mid.value.active === active);
        const just = evaluateSchedule(s, nextChange - 1);
        assert.ok(just.ok && just.value.active === active);
        const after = evaluateSchedule(s, nextChange);
        assert.ok(after.ok && after.value.active !== active, 'active must flip at nextChange');
      }),
      { numRuns: 400 },
    );
  });
});
