// A whole week in milliseconds: `now` steps through a week minute by minute,
// and `active` must flip exactly where the previous step said it would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduleSpec } from '../api/policy.ts';
import { evaluateSchedule, type ScheduleEvaluation } from './evaluate.ts';

const MINUTE = 60_000;
const iso = (t: number | undefined): string => (t === undefined ? 'never' : new Date(t).toISOString().replace(/:00\.000Z$/, 'Z'));

function evaluate(s: ScheduleSpec, t: number): ScheduleEvaluation {
  const r = evaluateSchedule(s, t);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

/** Steps from `from` to `to`; returns the instants where `active` flipped, after checking each against the prediction. */
function walk(s: ScheduleSpec, from: string, to: string): string[] {
  const flips: string[] = [];
  let before = evaluate(s, Date.parse(from));
  for (let t = Date.parse(from) + MINUTE; t <= Date.parse(to); t += MINUTE) {
    const now = evaluate(s, t);
    if (now.active !== before.active) {
      flips.push(iso(t));
      assert.equal(iso(t), iso(before.nextChange), `flipped at ${iso(t)}, predicted ${iso(before.nextChange)}`);
    } else {
      assert.ok(before.nextChange === undefined || t < before.nextChange, `no flip at the predicted ${iso(before.nextChange)}`);
      assert.equal(iso(now.nextChange), iso(before.nextChange), `the prediction moved at ${iso(t)}`);
    }
    assert.equal(now.prewarming, now.active && !now.inWindow);
    before = now;
  }
  return flips;
}

describe('a whole week, minute by minute', () => {
  it('Europe/Berlin office hours with a Saturday night into the repeated hour of 2026-10-25', () => {
    const s: ScheduleSpec = {
      timeZone: 'Europe/Berlin',
      prewarm: '15m',
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '07:30', end: '20:00' },
        { days: ['Sat'], start: '23:00', end: '02:30' },
        { days: ['Sun'], start: '12:00', end: '12:30' },
      ],
    };
    // Monday 2026-10-19 00:00 CEST to Monday 2026-10-26 00:00 CET.
    const weekday = (d: number): string[] => [`2026-10-${d}T05:15Z`, `2026-10-${d}T18:00Z`]; // 07:15 CEST prewarm, 20:00 CEST close
    assert.deepEqual(walk(s, '2026-10-18T22:00Z', '2026-10-25T23:00Z'), [
      ...[19, 20, 21, 22, 23].flatMap(weekday),
      '2026-10-24T20:45Z', // Sat 22:45 CEST prewarm
      '2026-10-25T00:30Z', // Sun first 02:30 (CEST): the repeated 02:30 CET does not count
      '2026-10-25T10:45Z', // Sun 11:45 CET prewarm
      '2026-10-25T11:30Z', // Sun 12:30 CET
    ]);
  });

  it('America/New_York office hours with a Saturday night into the gap of 2026-03-08', () => {
    const s: ScheduleSpec = {
      timeZone: 'America/New_York',
      prewarm: '30m',
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '09:00', end: '17:00' },
        { days: ['Sat'], start: '22:00', end: '02:30' },
        // Opens in the gap (03:00 EDT), right where Saturday night closes: no flip at the seam.
        { days: ['Sun'], start: '02:15', end: '04:00' },
      ],
    };
    // Monday 2026-03-02 00:00 EST to Monday 2026-03-09 00:00 EDT.
    const weekday = (d: number): string[] => [`2026-03-0${d}T13:30Z`, `2026-03-0${d}T22:00Z`]; // 08:30 EST prewarm, 17:00 EST close
    assert.deepEqual(walk(s, '2026-03-02T05:00Z', '2026-03-09T04:00Z'), [
      ...[2, 3, 4, 5, 6].flatMap(weekday),
      '2026-03-08T02:30Z', // Sat 21:30 EST prewarm
      '2026-03-08T08:00Z', // Sun 04:00 EDT
    ]);
  });
});
