import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduleSpec } from '../api/policy.ts';
import { describeSchedule } from './describe.ts';

describe('describeSchedule', () => {
  const cases: { schedule: ScheduleSpec; want: string }[] = [
    { schedule: { timeZone: 'Europe/Berlin', prewarm: '15m', windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '07:30', end: '20:00' }] }, want: 'Mon-Fri 07:30-20:00 Europe/Berlin, prewarm 15m' },
    { schedule: { windows: [{ start: '22:00', end: '02:00' }] }, want: 'daily 22:00-02:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: [], start: '09:00', end: '24:00' }] }, want: 'daily 09:00-24:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: ['Sun', 'Sat', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '09:00', end: '17:00' }] }, want: 'daily 09:00-17:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: ['Wed', 'Mon'], start: '09:00', end: '17:00' }] }, want: 'Mon,Wed 09:00-17:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: ['Sat', 'Sun'], start: '09:00', end: '17:00' }] }, want: 'Sat,Sun 09:00-17:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: ['Fri', 'Sat', 'Sun', 'Mon'], start: '22:00', end: '02:00' }] }, want: 'Fri-Mon 22:00-02:00 UTC' },
    { schedule: { timeZone: 'UTC', windows: [{ days: ['Mon', 'Wed', 'Thu', 'Fri'], start: '08:00', end: '09:00' }] }, want: 'Mon,Wed-Fri 08:00-09:00 UTC' },
    {
      schedule: { timeZone: 'America/New_York', prewarm: '', windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '09:00', end: '17:00' }, { days: ['Sat'], start: '22:00', end: '02:00' }] },
      want: 'Mon-Fri 09:00-17:00, Sat 22:00-02:00 America/New_York',
    },
  ];
  for (const c of cases) {
    it(c.want, () => assert.equal(describeSchedule(c.schedule), c.want));
  }
});
