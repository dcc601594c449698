// One line a person can read, for status messages and `plan` output.
import type { Day, ScheduleSpec } from '../api/policy.ts';

const ORDER: readonly Day[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function days(list: readonly Day[] | undefined): string {
  if (!list || list.length === 0 || list.length === 7) return 'daily';
  const idx = [...new Set(list)].map((d) => ORDER.indexOf(d)).sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === (idx[j] ?? 0) + 1) j++;
    const a = ORDER[idx[i] ?? 0] ?? '';
    const b = ORDER[idx[j] ?? 0] ?? '';
    runs.push(j - i >= 2 ? `${a}-${b}` : j > i ? `${a},${b}` : a);
    i = j + 1;
  }
  return runs.join(',');
}

export function describeSchedule(schedule: ScheduleSpec): string {
  const windows = schedule.windows.map((w) => `${days(w.days)} ${w.start}-${w.end}`).join(', ');
  return `${windows} (${schedule.timeZone ?? 'UTC'})${schedule.prewarm ? `, prewarm ${schedule.prewarm}` : ''}`;
}
