// Orchestrates the scenarios at a given set of sizes and writes one JSON file
// per scenario. run.ts is the CLI; the smoke test calls runBench at tiny sizes.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryBaseline, type BaselineResult, type BaselineSizes } from './baseline.ts';
import { buildOperator, ENTRY_POINT } from './build.ts';
import { globWorstCase, type GlobBenchResult } from './glob.ts';
import { describeMachine, type Machine } from './machine.ts';
import { coldStart, latency, naiveComparison, steadyRss, steadyState, type ColdResult, type LatencyResult, type NaiveResult, type SteadyResult } from './scenarios.ts';
import { BenchSession } from './session.ts';
import { CountedProxyEndpoints, USAGE_IDLE, USAGE_PROXIES, usageCost, type UsageResult } from './usage.ts';

export const SCENARIOS = ['cold-start', 'steady-state', 'latency', 'naive', 'baseline', 'secrets', 'growth', 'glob', 'usage'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchSizes {
  /** Policies of the cold-start session (the one steady state, latency and the naive comparison run on). */
  readonly policies: number;
  /** Collections per database. */
  readonly perDatabase: number;
  readonly resyncSeconds: number;
  readonly resyncs: number;
  readonly applies: number;
  /** Passes of the naive poller. */
  readonly baselinePasses: number;
  /** The memory floor scenario. */
  readonly baseline: BaselineSizes;
  /** The Secret GET scenario: policies, and credentials Secrets they share. */
  readonly secretPolicies: number;
  readonly secrets: number;
  /** Growth sizes (policies); the one equal to `policies` reuses the cold-start figures. */
  readonly growth: readonly number[];
  /** Cold start timeout per 1,000 policies. */
  readonly timeoutMsPer1000: number;
  /** The usage scenario's steady-state window, seconds (at least `resyncs` resyncs). */
  readonly usageSeconds: number;
}

const BASELINE: BaselineSizes = { policies: [0, 10, 100], instances: [1, 10, 50], policiesAcrossInstances: 10, resyncs: 10, resyncSeconds: 1 };
export const FULL: BenchSizes = { policies: 1000, perDatabase: 1000, resyncSeconds: 5, resyncs: 10, applies: 200, baselinePasses: 10, baseline: BASELINE, secretPolicies: 1000, secrets: 10, growth: [1000, 5000, 10_000, 20_000], timeoutMsPer1000: 600_000, usageSeconds: 60 };
// The memory floor is small already: the quick run measures it at full size.
export const QUICK: BenchSizes = { policies: 200, perDatabase: 500, resyncSeconds: 2, resyncs: 5, applies: 30, baselinePasses: 3, baseline: BASELINE, secretPolicies: 200, secrets: 10, growth: [100, 200, 400], timeoutMsPer1000: 300_000, usageSeconds: 40 };

export interface ScenarioFile<T> {
  scenario: ScenarioName;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  command: string;
  sizes: BenchSizes;
  /** How the operator ran (absent in files from before the bench ran the compiled entry point: `node src/main.ts run`). */
  entryPoint?: string;
  operatorRoot?: string;
  result: T;
}

/** Seconds of resyncs after a growth point's cold start before its steady RSS is read. */
const STEADY_WINDOW_S = 30;

export interface GrowthPoint extends ColdResult {
  /** Operator RSS `steadyWindowSeconds` after every status was correct (absent in results older than this figure). */
  steadyRssMiB?: number;
  steadyWindowSeconds?: number;
}

export interface BenchResults {
  'cold-start'?: ColdResult;
  'steady-state'?: SteadyResult;
  latency?: LatencyResult;
  naive?: NaiveResult;
  baseline?: BaselineResult;
  secrets?: { cold: ColdResult; steady: SteadyResult };
  growth?: { points: GrowthPoint[]; skipped: { policies: number; reason: string }[] };
  glob?: GlobBenchResult;
  usage?: UsageResult;
}

export interface RunOptions {
  readonly sizes: BenchSizes;
  /** Default: all. */
  readonly scenarios?: readonly ScenarioName[];
  readonly outDir: string;
  readonly operatorRoot?: string;
  readonly command: string;
  readonly log?: (line: string) => void;
  /** Stop growing once a size's cold start takes longer than this (the machine cannot do more in reasonable time). */
  readonly growthBudgetSeconds?: number;
  /** Give up on a growth size whose cold start is not done after this long (recorded as not measured). */
  readonly growthTimeoutSeconds?: number;
  /** Reuse the points of outDir/growth.json for sizes it already has. */
  readonly resumeGrowth?: boolean;
}

/** Growth points of an earlier run, from outDir/growth.json (so a long growth run can be resumed). */
async function earlierGrowthPoints(o: RunOptions): Promise<GrowthPoint[]> {
  const file = join(o.outDir, 'growth.json');
  if (!existsSync(file)) return [];
  const f = JSON.parse(await readFile(file, 'utf8')) as ScenarioFile<{ points: GrowthPoint[] }>;
  return f.result.points;
}

/** The cold start of an earlier run at this size, from outDir/cold-start.json. */
async function earlierColdStart(o: RunOptions, policies: number): Promise<ColdResult | undefined> {
  const file = join(o.outDir, 'cold-start.json');
  if (!existsSync(file)) return undefined;
  const f = JSON.parse(await readFile(file, 'utf8')) as ScenarioFile<ColdResult>;
  return f.result.policies === policies ? f.result : undefined;
}

async function save<T>(o: RunOptions, scenario: ScenarioName, startedAt: Date, result: T): Promise<void> {
  const file: ScenarioFile<T> = {
    scenario,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    command: o.command,
    sizes: o.sizes,
    entryPoint: ENTRY_POINT,
    ...(o.operatorRoot ? { operatorRoot: o.operatorRoot } : {}),
    result,
  };
  await mkdir(o.outDir, { recursive: true });
  await writeFile(join(o.outDir, `${scenario}.json`), `${compactJson(file)}\n`);
}

/** Indented JSON, but arrays of plain numbers (memory samples, latencies) on one line each. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`);
}

async function session(o: RunOptions, main: string, policies: number, latencyCollections: number, credentialSecrets = 0): Promise<BenchSession> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  log(`bench: ${policies} policies, ${policies * 10} collections: starting kube-apiserver and the simulator`);
  return BenchSession.start({
    policies,
    perDatabase: o.sizes.perDatabase,
    latencyCollections,
    resyncSeconds: o.sizes.resyncSeconds,
    credentialSecrets,
    operatorMain: main,
    log,
  });
}

const logOf = (o: RunOptions): ((line: string) => void) => o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
const timeoutFor = (z: BenchSizes, n: number): number => Math.max(60_000, (z.timeoutMsPer1000 * n) / 1000);

/** Cold start, then steady state, latency and the naive poller on the same session, as asked. */
async function runMain(o: RunOptions, main: string, want: ReadonlySet<ScenarioName>, out: BenchResults): Promise<void> {
  const z = o.sizes;
  const log = logOf(o);
  const started = new Date();
  const s = await session(o, main, z.policies, want.has('latency') ? z.applies : 0);
  try {
    const cold = await coldStart(s, timeoutFor(z, z.policies));
    out['cold-start'] = cold;
    log(`  cold start: ${cold.operatorSeconds} s operator time, ${cold.rpcTotal} RPCs, ${cold.statusWrites} status writes, peak RSS ${cold.peakRssMiB} MiB`);
    if (want.has('cold-start')) await save(o, 'cold-start', started, cold);
    let steady: SteadyResult | undefined;
    if (want.has('steady-state') || want.has('naive')) {
      const t = new Date();
      steady = await steadyState(s, z.resyncs);
      out['steady-state'] = steady;
      log(`  steady state: ${steady.passes} passes in ${steady.resyncPeriods} resyncs, ${steady.rpcsPerResync} RPCs/resync, ${steady.showCollectionsPerDatabasePerResync} ShowCollections/db/resync, ${steady.statusWrites} status writes`);
      if (want.has('steady-state')) await save(o, 'steady-state', t, steady);
    }
    if (want.has('latency')) {
      const t = new Date();
      const lat = await latency(s, z.applies);
      out.latency = lat;
      log(`  latency apply -> first LoadCollection: p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms over ${lat.applies} applies`);
      await save(o, 'latency', t, lat);
    }
    if (want.has('naive') && steady) {
      const t = new Date();
      const b = await naiveComparison(s, z.baselinePasses, { steady, cold });
      out.naive = b;
      log(`  naive poller: ${b.naiveRpcsPerPass} RPCs/pass vs operator ${b.operatorRpcsPerPass} (ratio ${b.rpcRatio})`);
      await save(o, 'naive', t, b);
    }
  } finally {
    await s.stop();
  }
}

/** Policies sharing a few credentials Secrets: apiserver GETs of Secrets per pass once converged. */
async function runSecrets(o: RunOptions, main: string, out: BenchResults): Promise<void> {
  const z = o.sizes;
  const started = new Date();
  const s = await session(o, main, z.secretPolicies, 0, z.secrets);
  try {
    const cold = await coldStart(s, timeoutFor(z, z.secretPolicies));
    const steady = await steadyState(s, z.resyncs);
    out.secrets = { cold, steady };
    logOf(o)(`  secrets: ${steady.secretGets} GETs of ${steady.distinctSecrets} Secrets in ${steady.passes} passes (${steady.secretGetsPerPass} per pass) with ${steady.policies} policies`);
    await save(o, 'secrets', started, out.secrets);
  } finally {
    await s.stop();
  }
}

/** The main layout with spec.idle everywhere and a budget reading the proxies' /metrics: what usage awareness costs in steady state. */
async function runUsage(o: RunOptions, main: string, out: BenchResults): Promise<void> {
  const z = o.sizes;
  const log = logOf(o);
  const started = new Date();
  log(`bench: usage: ${z.policies} policies with spec.idle, ${USAGE_PROXIES} proxy /metrics endpoints: starting kube-apiserver and the simulator`);
  const s = await BenchSession.start({ policies: z.policies, perDatabase: z.perDatabase, resyncSeconds: z.resyncSeconds, idle: USAGE_IDLE, operatorMain: main, log });
  const endpoints = await CountedProxyEndpoints.start(s.sim.proxyMetrics, USAGE_PROXIES);
  try {
    const u = await usageCost(s, endpoints, { minResyncs: z.resyncs, windowSeconds: z.usageSeconds, timeoutMs: timeoutFor(z, z.policies) });
    out.usage = u;
    log(
      `  usage: ${u.steady.rpcsPerResync} RPCs/resync (${u.steady.passes} passes in ${u.steady.resyncPeriods} resyncs), ${u.scrapes.perEndpointPerPeriod} scrapes per endpoint per ${u.usagePeriodSeconds} s period, ${u.steady.statusWrites} status writes, RSS ${u.steady.rssNowMiB} MiB (peak ${u.steady.peakRssMiB})`,
    );
    await save(o, 'usage', started, u);
  } finally {
    await endpoints.stop();
    await s.stop();
  }
}

async function runGrowth(o: RunOptions, main: string, out: BenchResults): Promise<void> {
  const z = o.sizes;
  const log = logOf(o);
  const started = new Date();
  const points: GrowthPoint[] = [];
  const order = [...z.growth].sort((a, b) => a - b);
  // Read before this run overwrites the file with its first point.
  const earlier = o.resumeGrowth ? await earlierGrowthPoints(o) : [];
  const skipped: { policies: number; reason: string }[] = [];
  for (const n of order) {
    const reuse = (n === z.policies ? (out['cold-start'] ?? (await earlierColdStart(o, n))) : undefined) ?? earlier.find((p) => p.policies === n);
    if (reuse) {
      points.push(reuse);
      await save(o, 'growth', started, { points, skipped });
      continue;
    }
    const last = points[points.length - 1];
    if (o.growthBudgetSeconds !== undefined && last && last.operatorSeconds > o.growthBudgetSeconds) {
      skipped.push({ policies: n, reason: `${last.policies} policies already took ${last.operatorSeconds} s (budget ${o.growthBudgetSeconds} s)` });
      continue;
    }
    const s = await session(o, main, n, 0);
    try {
      const cold = await coldStart(s, o.growthTimeoutSeconds !== undefined ? o.growthTimeoutSeconds * 1000 : timeoutFor(z, n));
      const p: GrowthPoint = { ...cold, ...(await steadyRss(s, STEADY_WINDOW_S)) };
      points.push(p);
      log(`  growth ${n}: ${p.operatorSeconds} s, peak RSS ${p.peakRssMiB} MiB, ${p.rpcTotal} RPCs; RSS ${p.steadyRssMiB} MiB after ${STEADY_WINDOW_S} s of resyncs`);
    } catch (e: unknown) {
      skipped.push({ policies: n, reason: (e as Error).message.split('\n')[0] ?? 'failed' });
      log(`  growth ${n}: failed: ${(e as Error).message}`);
    } finally {
      await s.stop();
    }
    // After every size: a run cut short still leaves what it measured.
    await save(o, 'growth', started, { points, skipped });
  }
  out.growth = { points, skipped };
  await save(o, 'growth', started, out.growth);
}

export async function runBench(o: RunOptions): Promise<BenchResults> {
  const want = new Set<ScenarioName>(o.scenarios ?? SCENARIOS);
  const log = logOf(o);
  const z = o.sizes;
  const out: BenchResults = {};
  if (want.has('glob')) {
    // A micro-benchmark without servers: first, so a quick look needs nothing else.
    const started = new Date();
    out.glob = await globWorstCase();
    for (const c of out.glob.cases) log(`  glob ${c.label}: matcher ${c.matcherMicros} µs (median of ${c.runs}); old RegExp ${c.regexMs === undefined ? `not finished after ${c.regexDeadlineSeconds} s` : `${c.regexMs} ms`}`);
    await save(o, 'glob', started, out.glob);
  }
  if ([...want].every((w) => w === 'glob')) return out;
  const main = buildOperator(o.operatorRoot, log);
  // Growth alone reuses an earlier cold start at the main size (outDir/cold-start.json) when there is one.
  const reusable = want.has('growth') && z.growth.includes(z.policies) && (await earlierColdStart(o, z.policies)) !== undefined;
  const needsMain = want.has('cold-start') || want.has('steady-state') || want.has('latency') || want.has('naive') || (want.has('growth') && z.growth.includes(z.policies) && !reusable);
  if (needsMain) await runMain(o, main, want, out);
  if (want.has('baseline')) {
    const started = new Date();
    out.baseline = await memoryBaseline(main, z.baseline, log);
    await save(o, 'baseline', started, out.baseline);
  }
  if (want.has('secrets')) await runSecrets(o, main, out);
  if (want.has('growth')) await runGrowth(o, main, out);
  if (want.has('usage')) await runUsage(o, main, out);
  return out;
}
