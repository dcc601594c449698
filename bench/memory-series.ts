// The operator's memory over time, from the lines bench/memory-probe.ts
// writes: parsed, cut to one scenario's window, and thinned for storage so
// that a long run still fits in bench/results/*.json without losing its
// peaks (each kept point is the maximum of the samples it stands for).

const MiB = 1024 * 1024;

/** One sample, as the probe wrote it: epoch milliseconds and bytes. */
export interface RawSample {
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export const SERIES_FIELDS = ['seconds', 'rssMiB', 'heapUsedMiB', 'externalMiB', 'arrayBuffersMiB'] as const;

export interface MemorySeries {
  /** What each row of `samples` holds, in order. */
  readonly fields: typeof SERIES_FIELDS;
  /** Seconds are counted from this time (ISO), the operator's spawn. */
  readonly origin: string;
  /** Samples the probe took in the window, and the median and longest gap between two. */
  readonly rawSamples: number;
  readonly medianIntervalMs: number;
  readonly maxGapMs: number;
  /** Highest of each figure over the window (before thinning), MiB. */
  readonly maxRssMiB: number;
  readonly maxHeapUsedMiB: number;
  readonly maxExternalMiB: number;
  readonly maxArrayBuffersMiB: number;
  /** Rows of SERIES_FIELDS; at most the `maxPoints` asked for. */
  readonly samples: number[][];
}

/** Parses the probe's file; a line cut short by a kill at the end is ignored. */
export function parseProbe(text: string): RawSample[] {
  const out: RawSample[] = [];
  for (const line of text.split('\n')) {
    const v = line.trim().split(' ').map(Number);
    if (v.length !== 5 || v.some((n) => !Number.isFinite(n))) continue;
    const [at, rss, heapUsed, external, arrayBuffers] = v as [number, number, number, number, number];
    out.push({ at, rss, heapUsed, external, arrayBuffers });
  }
  return out;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const mib = (b: number): number => round1(b / MiB);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Consecutive samples merged into groups of `size`, each field its maximum (the time: the group's first). */
function thin(samples: readonly RawSample[], maxPoints: number): RawSample[] {
  if (samples.length <= maxPoints) return [...samples];
  const size = Math.ceil(samples.length / maxPoints);
  const out: RawSample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const g = samples.slice(i, i + size);
    const max = (f: (s: RawSample) => number): number => Math.max(...g.map(f));
    out.push({ at: (g[0] as RawSample).at, rss: max((s) => s.rss), heapUsed: max((s) => s.heapUsed), external: max((s) => s.external), arrayBuffers: max((s) => s.arrayBuffers) });
  }
  return out;
}

/** The samples taken in [from, to] (epoch ms), seconds counted from `origin`, thinned to `maxPoints`. */
export function memorySeries(all: readonly RawSample[], origin: number, from: number, to: number, maxPoints = 300): MemorySeries {
  const w = all.filter((s) => s.at >= from && s.at <= to);
  const gaps = w.slice(1).map((s, i) => s.at - (w[i] as RawSample).at);
  const maxOf = (f: (s: RawSample) => number): number => mib(Math.max(0, ...w.map(f)));
  return {
    fields: SERIES_FIELDS,
    origin: new Date(origin).toISOString(),
    rawSamples: w.length,
    medianIntervalMs: median(gaps),
    maxGapMs: Math.max(0, ...gaps),
    maxRssMiB: maxOf((s) => s.rss),
    maxHeapUsedMiB: maxOf((s) => s.heapUsed),
    maxExternalMiB: maxOf((s) => s.external),
    maxArrayBuffersMiB: maxOf((s) => s.arrayBuffers),
    samples: thin(w, maxPoints).map((s) => [Math.round((s.at - origin) / 100) / 10, mib(s.rss), mib(s.heapUsed), mib(s.external), mib(s.arrayBuffers)]),
  };
}

/** The last sample taken at or before `at` (epoch ms), if any. */
export function sampleAt(all: readonly RawSample[], at: number): RawSample | undefined {
  let found: RawSample | undefined;
  for (const s of all) if (s.at <= at) found = s;
  return found;
}
