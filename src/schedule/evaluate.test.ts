import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Day, ScheduleSpec } from '../api/policy.ts';
import { evaluateSchedule, type ScheduleEvaluation } from './evaluate.ts';

const iso = (t: number): string => new Date(t).toISOString().replace(/:00\.000Z$/, 'Z');

/** An evaluation with instants written as `2026-11-23T19:00Z`; absent fields stay absent. */
interface Expected {
  active: boolean;
  inWindow: boolean;
  prewarming: boolean;
  nextChange?: string;
  currentWindowEnd?: string;
  nextWindowStart?: string;
}

function readable(e: ScheduleEvaluation): Expected {
  return {
    active: e.active,
    inWindow: e.inWindow,
    prewarming: e.prewarming,
    ...(e.nextChange === undefined ? {} : { nextChange: iso(e.nextChange) }),
    ...(e.currentWindowEnd === undefined ? {} : { currentWindowEnd: iso(e.currentWindowEnd) }),
    ...(e.nextWindowStart === undefined ? {} : { nextWindowStart: iso(e.nextWindowStart) }),
  };
}

const off = (nextChange: string, nextWindowStart = nextChange): Expected => ({ active: false, inWindow: false, prewarming: false, nextChange, nextWindowStart });
const open = (end: string, nextWindowStart: string, nextChange = end): Expected => ({ active: true, inWindow: true, prewarming: false, nextChange, currentWindowEnd: end, nextWindowStart });
const prewarm = (nextChange: string, nextWindowStart: string): Expected => ({ active: true, inWindow: false, prewarming: true, nextChange, nextWindowStart });
const always: Expected = { active: true, inWindow: true, prewarming: false };

const weekdays: Day[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
const utc = (start: string, end: string, days?: Day[]): ScheduleSpec => ({ timeZone: 'UTC', windows: [{ start, end, ...(days ? { days } : {}) }] });
const zoned = (timeZone: string, start: string, end: string, days?: Day[]): ScheduleSpec => ({ timeZone, windows: [{ start, end, ...(days ? { days } : {}) }] });
const office: ScheduleSpec = zoned('Europe/Berlin', '07:30', '20:00', weekdays);

// 2026-11-23 is a Monday. Comments give the wall time in the schedule's zone.
const cases: { name: string; schedule: ScheduleSpec; now: string; want: Expected }[] = [
  // UTC basics
  { name: 'UTC: before the window', schedule: utc('09:00', '17:00'), now: '2026-11-23T08:00Z', want: off('2026-11-23T09:00Z') },
  { name: 'UTC: opening instant is inside', schedule: utc('09:00', '17:00'), now: '2026-11-23T09:00Z', want: open('2026-11-23T17:00Z', '2026-11-24T09:00Z') },
  { name: 'UTC: last minute inside', schedule: utc('09:00', '17:00'), now: '2026-11-23T16:59Z', want: open('2026-11-23T17:00Z', '2026-11-24T09:00Z') },
  { name: 'UTC: closing instant is outside', schedule: utc('09:00', '17:00'), now: '2026-11-23T17:00Z', want: off('2026-11-24T09:00Z') },
  { name: 'no timeZone means UTC', schedule: { windows: [{ start: '09:00', end: '17:00' }] }, now: '2026-11-23T12:00Z', want: open('2026-11-23T17:00Z', '2026-11-24T09:00Z') },
  { name: 'empty days means every day', schedule: utc('09:00', '17:00', []), now: '2026-11-29T12:00Z', want: open('2026-11-29T17:00Z', '2026-11-30T09:00Z') },

  // Europe/Berlin business hours
  { name: 'Berlin: Monday 11:00 CET', schedule: office, now: '2026-11-23T10:00Z', want: open('2026-11-23T19:00Z', '2026-11-24T06:30Z') },
  { name: 'Berlin: Monday 20:00 CET closes', schedule: office, now: '2026-11-23T19:00Z', want: off('2026-11-24T06:30Z') },
  { name: 'Berlin: Friday 19:59 CET, next window after the weekend', schedule: office, now: '2026-11-27T18:59Z', want: open('2026-11-27T19:00Z', '2026-11-30T06:30Z') },
  { name: 'Berlin: Friday evening skips the weekend', schedule: office, now: '2026-11-27T19:00Z', want: off('2026-11-30T06:30Z') },
  { name: 'Berlin: Saturday noon', schedule: office, now: '2026-11-28T12:00Z', want: off('2026-11-30T06:30Z') },
  { name: 'Berlin: summer 07:29 CEST', schedule: office, now: '2026-07-15T05:29Z', want: off('2026-07-15T05:30Z') },

  // Windows crossing midnight belong to the day they start on
  { name: 'Fri 22:00-02:00: Friday 21:59', schedule: utc('22:00', '02:00', ['Fri']), now: '2026-11-27T21:59Z', want: off('2026-11-27T22:00Z') },
  { name: 'Fri 22:00-02:00: Saturday 01:00 is Friday night', schedule: utc('22:00', '02:00', ['Fri']), now: '2026-11-28T01:00Z', want: open('2026-11-28T02:00Z', '2026-12-04T22:00Z') },
  { name: 'Fri 22:00-02:00: Saturday 02:00 closes', schedule: utc('22:00', '02:00', ['Fri']), now: '2026-11-28T02:00Z', want: off('2026-12-04T22:00Z') },
  { name: 'Fri 22:00-02:00: Sunday 01:00 is not (no Saturday window)', schedule: utc('22:00', '02:00', ['Fri']), now: '2026-11-29T01:00Z', want: off('2026-12-04T22:00Z') },
  { name: 'Fri 22:00-02:00: Thursday 23:00 is not (days filter the start day)', schedule: utc('22:00', '02:00', ['Fri']), now: '2026-11-26T23:00Z', want: off('2026-11-27T22:00Z') },
  { name: 'Sun 23:00-01:00: Sunday 23:30', schedule: utc('23:00', '01:00', ['Sun']), now: '2026-11-22T23:30Z', want: open('2026-11-23T01:00Z', '2026-11-29T23:00Z') },
  { name: 'Sun 23:00-01:00: runs into Monday', schedule: utc('23:00', '01:00', ['Sun']), now: '2026-11-30T00:30Z', want: open('2026-11-30T01:00Z', '2026-12-06T23:00Z') },
  { name: 'Sun 23:00-01:00: Monday 23:30 is not', schedule: utc('23:00', '01:00', ['Sun']), now: '2026-11-30T23:30Z', want: off('2026-12-06T23:00Z') },
  { name: 'Berlin Fri 22:00-02:00: Saturday 01:30 CET', schedule: zoned('Europe/Berlin', '22:00', '02:00', ['Fri']), now: '2026-11-28T00:30Z', want: open('2026-11-28T01:00Z', '2026-12-04T21:00Z') },

  // 24:00
  { name: '18:00-24:00 ends at midnight', schedule: utc('18:00', '24:00'), now: '2026-11-23T20:00Z', want: open('2026-11-24T00:00Z', '2026-11-24T18:00Z') },
  { name: 'Berlin Sat 20:00-24:00 at 23:59 CET', schedule: zoned('Europe/Berlin', '20:00', '24:00', ['Sat']), now: '2026-11-28T22:59Z', want: open('2026-11-28T23:00Z', '2026-12-05T19:00Z') },
  {
    name: '24:00 touching the next day 00:00 merges',
    schedule: { timeZone: 'UTC', windows: [{ days: ['Mon'], start: '20:00', end: '24:00' }, { days: ['Tue'], start: '00:00', end: '03:00' }] },
    now: '2026-11-23T21:00Z',
    want: open('2026-11-24T03:00Z', '2026-11-30T20:00Z'),
  },

  // Merging
  ...['09:00', '12:00', '14:00'].map((t) => ({
    name: `overlapping and touching windows merge (${t})`,
    schedule: { timeZone: 'UTC', windows: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '14:00' }, { start: '14:00', end: '15:00' }] },
    now: `2026-11-23T${t}Z`,
    want: open('2026-11-23T15:00Z', '2026-11-24T08:00Z'),
  })),
  {
    name: 'a night window merges with the next morning',
    schedule: { timeZone: 'UTC', windows: [{ start: '22:00', end: '02:00' }, { start: '01:00', end: '06:00' }] },
    now: '2026-11-23T23:00Z',
    want: open('2026-11-24T06:00Z', '2026-11-24T22:00Z'),
  },
  { name: 'windows covering every instant never change', schedule: { timeZone: 'UTC', windows: [{ start: '00:00', end: '12:00' }, { start: '12:00', end: '24:00' }] }, now: '2026-11-23T09:00Z', want: always },
  ...['2026-03-27T12:00Z', '2026-03-29T01:00Z', '2026-10-24T12:00Z', '2026-10-25T00:30Z'].map((now) => ({
    name: `Berlin day and night windows cover every instant across DST (${now})`,
    schedule: { timeZone: 'Europe/Berlin', windows: [{ start: '02:30', end: '18:00' }, { start: '18:00', end: '02:30' }] },
    now,
    want: always,
  })),
  {
    name: 'prewarm bridging the only gap: always active, window still reported',
    schedule: { timeZone: 'UTC', prewarm: '30m', windows: [{ start: '08:00', end: '20:00' }, { start: '20:30', end: '08:00' }] },
    now: '2026-11-23T20:10Z',
    want: { active: true, inWindow: false, prewarming: true, nextWindowStart: '2026-11-23T20:30Z' },
  },

  // Prewarm
  { name: 'prewarm: 07:14 CET is before it', schedule: { ...office, prewarm: '15m' }, now: '2026-11-24T06:14Z', want: off('2026-11-24T06:15Z', '2026-11-24T06:30Z') },
  { name: 'prewarm: 07:15 CET starts it', schedule: { ...office, prewarm: '15m' }, now: '2026-11-24T06:15Z', want: prewarm('2026-11-24T19:00Z', '2026-11-24T06:30Z') },
  { name: 'prewarm: 07:30 CET the window is open', schedule: { ...office, prewarm: '15m' }, now: '2026-11-24T06:30Z', want: open('2026-11-24T19:00Z', '2026-11-25T06:30Z') },
  { name: 'prewarm: Friday evening, Monday prewarm next', schedule: { ...office, prewarm: '15m' }, now: '2026-11-27T19:00Z', want: off('2026-11-30T06:15Z', '2026-11-30T06:30Z') },
  { name: 'prewarm across midnight: Monday 23:29', schedule: { ...utc('00:30', '02:00', ['Tue']), prewarm: '1h' }, now: '2026-11-23T23:29Z', want: off('2026-11-23T23:30Z', '2026-11-24T00:30Z') },
  { name: 'prewarm across midnight: Monday 23:30 prewarms Tuesday', schedule: { ...utc('00:30', '02:00', ['Tue']), prewarm: '1h' }, now: '2026-11-23T23:30Z', want: prewarm('2026-11-24T02:00Z', '2026-11-24T00:30Z') },
  {
    name: 'prewarm fills the gap between two windows',
    schedule: { timeZone: 'UTC', prewarm: '30m', windows: [{ start: '08:00', end: '12:00' }, { start: '12:30', end: '16:00' }] },
    now: '2026-11-23T12:00Z',
    want: prewarm('2026-11-23T16:00Z', '2026-11-23T12:30Z'),
  },
  { name: 'empty prewarm is none', schedule: { ...utc('09:00', '17:00'), prewarm: '' }, now: '2026-11-23T08:59Z', want: off('2026-11-23T09:00Z') },

  // Europe/Berlin spring forward, Sunday 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z
  { name: 'Berlin spring: window opening in the gap, before', schedule: zoned('Europe/Berlin', '02:30', '05:00'), now: '2026-03-29T00:00Z', want: off('2026-03-29T01:00Z') },
  { name: 'Berlin spring: window opening in the gap opens at 03:00 CEST', schedule: zoned('Europe/Berlin', '02:30', '05:00'), now: '2026-03-29T01:00Z', want: open('2026-03-29T03:00Z', '2026-03-30T00:30Z') },
  { name: 'Berlin spring: window closing in the gap closes at the jump', schedule: zoned('Europe/Berlin', '01:00', '02:30'), now: '2026-03-29T00:30Z', want: open('2026-03-29T01:00Z', '2026-03-29T23:00Z') },
  { name: 'Berlin spring: a window inside the gap does not open that day', schedule: zoned('Europe/Berlin', '02:10', '02:50'), now: '2026-03-29T00:00Z', want: off('2026-03-30T00:10Z') },
  { name: 'Berlin spring: Saturday night closing in the gap', schedule: zoned('Europe/Berlin', '22:00', '02:30', ['Sat']), now: '2026-03-28T22:00Z', want: open('2026-03-29T01:00Z', '2026-04-04T20:00Z') },
  { name: 'Berlin spring: prewarm before an opening in the gap', schedule: { ...zoned('Europe/Berlin', '02:30', '05:00'), prewarm: '15m' }, now: '2026-03-29T00:44Z', want: off('2026-03-29T00:45Z', '2026-03-29T01:00Z') },

  // Europe/Berlin fall back, Sunday 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00Z; 02:xx reads twice
  { name: 'Berlin fall: window in the repeated hour opens at the first 02:15', schedule: zoned('Europe/Berlin', '02:15', '02:45'), now: '2026-10-25T00:00Z', want: off('2026-10-25T00:15Z') },
  { name: 'Berlin fall: inside the first 02:15-02:45', schedule: zoned('Europe/Berlin', '02:15', '02:45'), now: '2026-10-25T00:20Z', want: open('2026-10-25T00:45Z', '2026-10-26T01:15Z') },
  { name: 'Berlin fall: the second 02:20 does not reopen it', schedule: zoned('Europe/Berlin', '02:15', '02:45'), now: '2026-10-25T01:20Z', want: off('2026-10-26T01:15Z') },
  { name: 'Berlin fall: opening in the repeated hour, second 02:45 still inside', schedule: zoned('Europe/Berlin', '02:30', '04:00'), now: '2026-10-25T01:45Z', want: open('2026-10-25T03:00Z', '2026-10-26T01:30Z') },
  { name: 'Berlin fall: closing at the first 02:30', schedule: zoned('Europe/Berlin', '01:00', '02:30'), now: '2026-10-25T01:30Z', want: off('2026-10-26T00:00Z') },
  { name: 'Berlin fall: Saturday night closing in the repeated hour', schedule: zoned('Europe/Berlin', '23:00', '02:30', ['Sat']), now: '2026-10-25T01:10Z', want: off('2026-10-31T22:00Z') },

  // America/New_York spring forward, Sunday 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z
  { name: 'New York spring: window opening in the gap, before', schedule: zoned('America/New_York', '02:15', '04:00'), now: '2026-03-08T06:00Z', want: off('2026-03-08T07:00Z') },
  { name: 'New York spring: window opening in the gap opens at 03:00 EDT', schedule: zoned('America/New_York', '02:15', '04:00'), now: '2026-03-08T07:00Z', want: open('2026-03-08T08:00Z', '2026-03-09T06:15Z') },
  { name: 'New York spring: window closing in the gap closes at the jump', schedule: zoned('America/New_York', '01:00', '02:30'), now: '2026-03-08T06:30Z', want: open('2026-03-08T07:00Z', '2026-03-09T05:00Z') },
  { name: 'New York spring: Saturday night closing in the gap', schedule: zoned('America/New_York', '22:00', '02:30', ['Sat']), now: '2026-03-08T06:59Z', want: open('2026-03-08T07:00Z', '2026-03-15T02:00Z') },

  // America/New_York fall back, Sunday 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00Z; 01:xx reads twice
  { name: 'New York fall: window in the repeated hour opens at the first 01:10', schedule: zoned('America/New_York', '01:10', '01:50'), now: '2026-11-01T05:00Z', want: off('2026-11-01T05:10Z') },
  { name: 'New York fall: the second 01:20 does not reopen it', schedule: zoned('America/New_York', '01:10', '01:50'), now: '2026-11-01T06:20Z', want: off('2026-11-02T06:10Z') },
  { name: 'New York fall: opened at the first 01:30, the second 01:15 is inside', schedule: zoned('America/New_York', '01:30', '03:00'), now: '2026-11-01T06:15Z', want: open('2026-11-01T08:00Z', '2026-11-02T06:30Z') },
  { name: 'New York fall: closed at the first 01:30, the second 01:40 is outside', schedule: zoned('America/New_York', '00:00', '01:30'), now: '2026-11-01T06:40Z', want: off('2026-11-02T05:00Z') },
  { name: 'New York fall: prewarm before the first 01:30', schedule: { ...zoned('America/New_York', '01:30', '03:00'), prewarm: '1h' }, now: '2026-11-01T04:29Z', want: off('2026-11-01T04:30Z', '2026-11-01T05:30Z') },
];

describe('evaluateSchedule', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = evaluateSchedule(c.schedule, Date.parse(c.now));
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.deepEqual(readable(r.value), c.want);
    });
  }
});

describe('evaluateSchedule with bad input', () => {
  const now = Date.parse('2026-11-23T00:00Z');
  const bad: { name: string; schedule: ScheduleSpec; now?: number; error: string | RegExp }[] = [
    { name: 'unknown time zone', schedule: { timeZone: 'Mars/Base', windows: [{ start: '01:00', end: '02:00' }] }, error: 'unknown time zone "Mars/Base"; use an IANA name such as Europe/Berlin' },
    { name: 'malformed start', schedule: utc('7:30', '20:00'), error: /^windows\[0\]\.start "7:30" is not a time of day; write HH:MM/ },
    { name: 'malformed end', schedule: utc('07:30', '24:01'), error: /^windows\[0\]\.end "24:01" is not a time of day/ },
    { name: 'same start and end', schedule: utc('08:00', '08:00'), error: /^windows\[0\] starts and ends at 08:00; give it different/ },
    { name: 'unknown day', schedule: { timeZone: 'UTC', windows: [{ start: '08:00', end: '09:00', days: ['Funday' as Day] }] }, error: /^windows\[0\]\.days has "Funday"; use Mon, Tue/ },
    { name: 'malformed prewarm', schedule: { ...utc('08:00', '09:00'), prewarm: 'soon' }, error: /^prewarm "soon" is not a duration; use one such as 15m/ },
    { name: 'prewarm over 12h', schedule: { ...utc('08:00', '09:00'), prewarm: '13h' }, error: /^prewarm "13h" is longer than 12h/ },
    { name: 'now is not an instant', schedule: utc('08:00', '09:00'), now: NaN, error: /^cannot evaluate a schedule at NaN: not an instant in epoch milliseconds; this is a bug in the caller/ },
  ];
  for (const c of bad) {
    it(`${c.name} is an error result, not an exception`, () => {
      const r = evaluateSchedule(c.schedule, c.now ?? now);
      assert.equal(r.ok, false);
      if (!r.ok) {
        if (typeof c.error === 'string') assert.equal(r.error, c.error);
        else assert.match(r.error, c.error);
      }
    });
  }

  it('00:00-24:00 (rejected at admission) still evaluates as the whole day', () => {
    const r = evaluateSchedule(utc('00:00', '24:00'), now);
    assert.ok(r.ok);
    assert.deepEqual(readable(r.value), always);
  });
});
