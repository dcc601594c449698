import { DURATION } from './patterns.ts';

const DURATION_RE = new RegExp(DURATION);

/** Parses `1h30m`, `15m`, `90s` into milliseconds; `undefined` if malformed or empty. */
export function parseDuration(value: string): number | undefined {
  if (value === '' || !DURATION_RE.test(value)) return undefined;
  let ms = 0;
  for (const m of value.matchAll(/([0-9]+)([hms])/g)) {
    const n = Number(m[1]);
    ms += n * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1000);
  }
  return ms;
}

/** `5400000` → `1h30m`; used in messages. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const out = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return out === '' ? '0s' : out;
}
