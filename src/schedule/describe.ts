// One line a person can read, for status messages and `plan` output:
// "Mon-Fri 07:30-20:00 Europe/Berlin, prewarm 15m".
import { DAYS, type Day, type ScheduleSpec, type WindowSpec } from '../api/policy.ts';

/** Runs of consecutive days in week order, wrapping Sunday to Monday: `Mon-Fri`, `Sat,Sun`, `Fri-Mon`, `Mon,Wed`. */
function describeDays(days: readonly Day[] | undefined): string {
  const on = DAYS.map((d) => days?.includes(d) ?? false);
  if (on.every((x) => x) || on.every((x) => !x)) return 'daily';
  // Start at a day that is off, so no run is split across the end of the week.
  const offset = on.indexOf(false) + 1;
  const runs: Day[][] = [];
  let run: Day[] = [];
  for (let k = 0; k < 7; k++) {
    const i = (offset + k) % 7;
    const day = DAYS[i];
    if (on[i] && day !== undefined) {
      run.push(day);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  runs.sort((x, y) => DAYS.indexOf(x[0] ?? 'Mon') - DAYS.indexOf(y[0] ?? 'Mon'));
  return runs.map((r) => (r.length >= 3 ? `${r[0]}-${r.at(-1)}` : r.join(','))).join(',');
}

const describeWindow = (w: WindowSpec): string => `${describeDays(w.days)} ${w.start}-${w.end}`;

export function describeSchedule(schedule: ScheduleSpec): string {
  const windows = schedule.windows.map(describeWindow).join(', ');
  const prewarm = schedule.prewarm ? `, prewarm ${schedule.prewarm}` : '';
  return `${windows} ${schedule.timeZone ?? 'UTC'}${prewarm}`;
}
