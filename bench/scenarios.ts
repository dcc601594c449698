// The measurements. Each takes a BenchSession and returns plain figures;
// run.ts decides which to run and writes them down.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnManaged } from '../test/env/process.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { sumValues, writesBetween, type RequestCounts } from './apiserver-metrics.ts';
import { latencyPlan, milvusMismatches, seedSimulator, type PolicyPlan } from './layout.ts';
import type { MemorySeries } from './memory-series.ts';
import { currentRss } from './operator-process.ts';
import type { NaiveConfig, NaivePass } from './naive-poller.ts';
import { REPO_ROOT, type BenchSession, type CallRecord } from './session.ts';

const MiB = 1024 * 1024;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Waits for `p`, failing early when the operator dies and with the tracker's view on timeout. */
async function waitFor<T>(s: BenchSession, p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const bad = s.tracker.incorrect(3);
      const sample = bad.map((n) => `${n}: ${JSON.stringify(s.tracker.statusOf(n))?.slice(0, 600)}`).join('\n');
      reject(new Error(`${what}: not done after ${timeoutMs} ms (${s.tracker.correctCount}/${s.tracker.expected} statuses correct). Some that are not:\n${sample}\noperator output:\n${s.operator?.tail(20) ?? ''}`));
    }, timeoutMs);
    check = setInterval(() => {
      try {
        s.assertOperatorRunning();
      } catch (e: unknown) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }, 500);
  });
  try {
    return await Promise.race([p, failure]);
  } finally {
    clearTimeout(timer);
    clearInterval(check);
  }
}

function countBy(calls: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c.method] = (out[c.method] ?? 0) + 1;
  return out;
}

function sortedRecord(r: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface ColdResult {
  policies: number;
  collections: number;
  databases: number;
  createSeconds: number;
  /** Operator spawned -> every policy's status correct (the DESIGN §4 "operator time"). */
  operatorSeconds: number;
  /** Operator spawned -> its first Milvus RPC (process start, caches synced). */
  firstRpcSeconds: number;
  /** Operator spawned -> its last load/release RPC (Milvus converged; loads are instant in the simulator). */
  lastActionSeconds: number;
  rpcs: Record<string, number>;
  rpcTotal: number;
  loadsExpected: number;
  releasesExpected: number;
  apiserverWrites: Record<string, number>;
  apiserverWriteTotal: number;
  statusWrites: number;
  peakRssBytes: number;
  peakRssMiB: number;
  statusesCorrect: number;
  milvusMismatches: number;
  /** The operator's memory from its spawn to the last status correct. */
  memory: MemorySeries;
}

export async function coldStart(s: BenchSession, timeoutMs: number): Promise<ColdResult> {
  s.sim.resetCounters();
  s.clearCalls();
  const before = await s.apiserverRequests();
  await s.startOperator();
  const t0 = s.operatorStartedAt;
  await waitFor(s, s.tracker.whenCorrect(), timeoutMs, `cold start of ${s.layout.policies.length} policies`);
  const doneAt = Math.max(...s.layout.policies.map((p) => s.tracker.correctAt.get(p.name) ?? Date.now()));
  const rpcs = sortedRecord({ ...s.sim.counters });
  const peak = await s.operatorPeakRss();
  const writes = writesBetween(before, await s.apiserverRequests());
  const actions = s.calls.filter((c) => c.method === 'LoadCollection' || c.method === 'ReleaseCollection');
  const lp = s.layout.policies;
  return {
    policies: lp.length,
    collections: s.layout.collections,
    databases: s.layout.databases.length,
    createSeconds: round(s.createMs / 1000),
    operatorSeconds: round((doneAt - t0) / 1000),
    firstRpcSeconds: round(((s.calls[0]?.at ?? t0) - t0) / 1000),
    lastActionSeconds: round(((actions[actions.length - 1]?.at ?? t0) - t0) / 1000),
    rpcs,
    rpcTotal: sumValues(rpcs),
    loadsExpected: lp.filter((p) => p.state === 'Loaded').reduce((n, p) => n + p.collections.length - p.preloaded.length, 0),
    releasesExpected: lp.filter((p) => p.state === 'Released').reduce((n, p) => n + p.preloaded.length, 0),
    apiserverWrites: sortedRecord(writes),
    apiserverWriteTotal: sumValues(writes),
    statusWrites: writes['PATCH collectionloadpolicies/status'] ?? 0,
    peakRssBytes: peak,
    peakRssMiB: round(peak / MiB, 1),
    statusesCorrect: s.tracker.correctCount,
    milvusMismatches: milvusMismatches(s.sim.state, lp).length,
    memory: await s.memory(t0, doneAt),
  };
}

/**
 * Operator RSS after `seconds` of resyncs following a cold start (every
 * status correct): the steady figure DESIGN §4 bounds at 10,000 policies.
 */
export async function steadyRss(s: BenchSession, seconds: number): Promise<{ steadyRssMiB: number; steadyWindowSeconds: number }> {
  const pid = s.operator?.pid;
  if (pid === undefined) throw new Error('steadyRss: the operator is not running');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  s.assertOperatorRunning();
  return { steadyRssMiB: round((await currentRss(pid)) / MiB, 1), steadyWindowSeconds: seconds };
}

/** Waits until no policy status changed for `quietMs` (the operator has nothing left to report). */
export async function quiet(s: BenchSession, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = s.tracker.statusChanges;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`policy statuses still changing after ${timeoutMs} ms (${s.tracker.statusChanges} changes seen)`);
    s.assertOperatorRunning();
    await new Promise((r) => setTimeout(r, 100));
    if (s.tracker.statusChanges !== seen) {
      seen = s.tracker.statusChanges;
      since = Date.now();
    }
  }
}

export interface SteadyResult {
  policies: number;
  databases: number;
  resyncSeconds: number;
  /** Resync periods the window spans. */
  resyncPeriods: number;
  /** Reconcile passes of the instance in the window (one pass observes every database once). */
  passes: number;
  windowSeconds: number;
  /** The window, epoch ms: from the first pass in it to the pass that ends it (other counts use the same span). */
  windowStartAt: number;
  windowEndAt: number;
  rpcs: Record<string, number>;
  rpcsPerResync: number;
  rpcsPerPass: number;
  showCollectionsPerDatabasePerResync: number;
  showCollectionsPerDatabasePerPass: number;
  mutatingRpcs: number;
  statusWrites: number;
  /** Status writes seen by a watch where only lastSyncTime moved. */
  syncTimeOnlyRewrites: number;
  apiserverWrites: Record<string, number>;
  /** Median time from a pass's first to its last Milvus RPC. */
  passMilvusMsP50: number;
  peakRssMiB: number;
  rssNowMiB: number;
  /** Credentials Secrets the policies share (0: none). */
  distinctSecrets: number;
  /** apiserver GETs of Secrets (its own apiserver_request_total) over the window's passes. */
  secretGets: number;
  secretGetsPerPass: number;
  memory: MemorySeries;
}

const isPassStart = (db: string) => (c: CallRecord): boolean => c.method === 'ShowCollections' && c.database === db && c.type !== 'InMemory';

/**
 * The calls that start a pass: a pass lists each database once per credentials group (one Milvus client each).
 * With one group every listing of `db` starts a pass. With several, a pass's listings come close together and
 * passes a resync apart: a listing starts a pass when none came in the quarter period before it; one within a
 * quarter period of the `clearCalls` may belong to a pass already under way, so counting starts after it.
 */
function passStarts(s: BenchSession, db: string, periodMs: number): () => CallRecord[] {
  const groups = new Set(s.layout.policies.filter((p) => p.database === db).map((p) => p.secret ?? '')).size;
  const clearedAt = Date.now();
  return () => {
    const listings = s.calls.filter(isPassStart(db));
    if (groups <= 1) return listings;
    return listings.filter((c, i) => c.at - (listings[i - 1]?.at ?? clearedAt) > periodMs / 4);
  };
}

export async function steadyState(s: BenchSession, resyncs: number): Promise<SteadyResult> {
  const R = s.opts.resyncSeconds * 1000;
  await quiet(s, R + 1000, 10 * 60_000);
  const db0 = s.layout.databases[0] ?? 'db_000';
  s.clearCalls();
  const rewritesBefore = s.tracker.syncTimeOnlyChanges;
  const before = await s.apiserverRequests();
  const starts = passStarts(s, db0, R);
  // Window: from the first pass that starts now to the first pass starting at least (resyncs - 0.5) periods later.
  const deadline = Date.now() + (resyncs + 3) * R * 2 + 60_000;
  let end: CallRecord | undefined;
  // Secret GETs are counted between two pass starts: a pass reads its Secrets before it lists Milvus, so the
  // snapshot taken on seeing the first pass start holds that pass's GETs, and the one on seeing the end's holds
  // exactly `passes` passes' worth (the next pass cannot start within the few ms a snapshot takes).
  let secretsBefore: RequestCounts | undefined;
  for (;;) {
    s.assertOperatorRunning();
    const st = starts();
    const first = st[0];
    if (first && !secretsBefore) secretsBefore = await s.apiserverRequests();
    if (first) end = st.find((c) => c.at >= first.at + (resyncs - 0.5) * R);
    if (end) break;
    if (Date.now() > deadline) throw new Error(`steady state: fewer than ${resyncs} resyncs seen in ${(resyncs + 3) * 2} periods; operator output:\n${s.operator?.tail(20) ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const after = await s.apiserverRequests();
  const secretGets = (after['GET secrets'] ?? 0) - ((secretsBefore ?? before)['GET secrets'] ?? 0);
  const rewrites = s.tracker.syncTimeOnlyChanges - rewritesBefore;
  const st = starts();
  const first = st[0] as CallRecord;
  const endAt = end.at;
  const inWindow = s.calls.filter((c) => c.at >= first.at && c.at < endAt);
  const starting = st.filter((c) => c.at < endAt);
  const passes = starting.length;
  const periods = (endAt - first.at) / R;
  const rpcs = sortedRecord(countBy(inWindow));
  const total = inWindow.length;
  const sc = rpcs.ShowCollections ?? 0;
  const dbs = s.layout.databases.length;
  const spans = starting.map((p, i) => {
    const next = starting[i + 1]?.at ?? endAt;
    const calls = inWindow.filter((c) => c.at >= p.at && c.at < next);
    return (calls[calls.length - 1]?.at ?? p.at) - p.at;
  });
  spans.sort((a, b) => a - b);
  const writes = writesBetween(before, after);
  const pid = s.operator?.pid ?? 0;
  return {
    policies: s.layout.policies.length,
    databases: dbs,
    resyncSeconds: s.opts.resyncSeconds,
    resyncPeriods: round(periods, 1),
    passes,
    windowSeconds: round((endAt - first.at) / 1000, 1),
    windowStartAt: first.at,
    windowEndAt: endAt,
    rpcs,
    rpcsPerResync: round(total / periods, 1),
    rpcsPerPass: round(total / passes, 1),
    showCollectionsPerDatabasePerResync: round(sc / dbs / periods),
    showCollectionsPerDatabasePerPass: round(sc / dbs / passes),
    mutatingRpcs: (rpcs.LoadCollection ?? 0) + (rpcs.ReleaseCollection ?? 0) + (rpcs.LoadPartitions ?? 0) + (rpcs.ReleasePartitions ?? 0),
    statusWrites: writes['PATCH collectionloadpolicies/status'] ?? 0,
    syncTimeOnlyRewrites: rewrites,
    apiserverWrites: sortedRecord(writes),
    passMilvusMsP50: spans[Math.floor(spans.length / 2)] ?? 0,
    peakRssMiB: round((await s.operatorPeakRss()) / MiB, 1),
    rssNowMiB: round((await currentRss(pid)) / MiB, 1),
    distinctSecrets: s.layout.secrets.length,
    secretGets,
    secretGetsPerPass: round(secretGets / Math.max(1, passes), 1),
    memory: await s.memory(first.at, endAt),
  };
}

export interface LatencyResult {
  policies: number;
  applies: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Median time of the create request itself (part of every sample). */
  createP50Ms: number;
  samplesMs: number[];
  memory: MemorySeries;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

/** Applies one policy at a time (each selecting one collection nobody selected) and times apply -> its first LoadCollection. */
export async function latency(s: BenchSession, applies: number, budgetMs = 180_000): Promise<LatencyResult> {
  if (s.layout.latency.length < applies) throw new Error(`latency: the layout has ${s.layout.latency.length} spare collections, ${applies} needed`);
  await quiet(s, 1000, 10 * 60_000);
  const samples: number[] = [];
  const creates: number[] = [];
  const startedAt = Date.now();
  const stopAt = startedAt + budgetMs;
  for (let k = 0; k < applies && Date.now() < stopAt; k++) {
    const target = s.layout.latency[k] as { name: string; database: string };
    const plan: PolicyPlan = latencyPlan(k, target);
    s.tracker.expect([plan]);
    const loaded = s.nextCall((c) => c.method === 'LoadCollection' && c.collection === target.name && c.database === target.database, 60_000, `LoadCollection for ${target.database}/${target.name}`);
    const t = Date.now();
    await s.createPolicy(plan);
    creates.push(Date.now() - t);
    const call = await loaded;
    samples.push(call.at - t);
    // One at a time: the operator has reported the new policy before the next apply.
    await waitFor(s, s.tracker.whenCorrect([plan.name]), 120_000, `status of ${plan.name}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const sortedCreates = [...creates].sort((a, b) => a - b);
  return {
    policies: s.layout.policies.length,
    applies: samples.length,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    meanMs: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length), 1),
    createP50Ms: quantile(sortedCreates, 0.5),
    samplesMs: samples,
    memory: await s.memory(startedAt),
  };
}

export interface NaiveResult {
  policies: number;
  collections: number;
  databases: number;
  passes: number;
  naiveRpcsPerPass: number;
  naiveRpcsByMethod: Record<string, number>;
  naivePassMsP50: number;
  naiveMaxRssMiB: number;
  operatorRpcsPerPass: number;
  operatorPassMilvusMsP50: number;
  /** operator / naive, steady state, per pass. */
  rpcRatio: number;
  /** operator / naive: time talking to Milvus per pass. */
  passTimeRatio: number;
  /** Cold start on a fresh, identically seeded simulator: naive process start -> last load/release. */
  naiveColdSeconds: number;
  naiveColdRpcs: number;
  operatorColdLastActionSeconds: number;
  operatorColdRpcs: number;
  coldTimeRatio: number;
  coldRpcRatio: number;
}

interface NaiveRun {
  passes: NaivePass[];
  maxRssBytes: number;
  spawnedAt: number;
}

async function runNaive(config: NaiveConfig, args: readonly string[]): Promise<NaiveRun> {
  const dir = await mkdtemp(join(tmpdir(), 'mlo-naive-'));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  const spawnedAt = Date.now();
  const p = spawnManaged('naive-poller', process.execPath, [`${REPO_ROOT}bench/naive-poller.ts`, '--config', file, ...args]);
  const code = await p.exited;
  const lines = p.tail(200).split('\n').filter((l) => l.startsWith('{'));
  if (code !== 0) throw new Error(`naive poller exited with ${code}:\n${p.tail(20)}`);
  const parsed = lines.map((l) => JSON.parse(l) as NaivePass & { done?: boolean; maxRssBytes?: number });
  const done = parsed.find((l) => l.done);
  return { passes: parsed.filter((l) => !l.done), maxRssBytes: done?.maxRssBytes ?? 0, spawnedAt };
}

function naiveConfig(address: string, plans: readonly PolicyPlan[], resyncSeconds: number): NaiveConfig {
  return {
    address,
    resyncSeconds,
    concurrency: 8,
    policies: plans.map((p) => ({ database: p.database, state: p.state, ...('names' in p.selector ? { names: p.selector.names } : { patterns: p.selector.patterns }) })),
  };
}

/**
 * The naive poller on the same simulator, same policies, after the operator
 * converged and stopped (steady state), then on a fresh simulator seeded the
 * same way (cold start).
 */
export async function naiveComparison(s: BenchSession, passes: number, operator: { steady: SteadyResult; cold: ColdResult }): Promise<NaiveResult> {
  await s.stopOperator();
  const cfg = naiveConfig(s.sim.address, s.layout.policies, s.opts.resyncSeconds);
  s.sim.resetCounters();
  const steady = await runNaive(cfg, ['--passes', String(passes)]);
  const counters = sortedRecord({ ...s.sim.counters });
  // Everything the simulator saw (the SDK's connect included), per pass.
  const perPass = sumValues(counters) / Math.max(1, steady.passes.length);
  const passMs = steady.passes.map((p) => p.ms).sort((a, b) => a - b);
  const naivePassMs = passMs[Math.floor(passMs.length / 2)] ?? 0;
  if (steady.passes.some((p) => p.actions > 0)) throw new Error('naive poller acted in steady state: the operator had not converged Milvus');

  // Cold: a fresh simulator, seeded like the session's.
  const fresh = await startSimulator({ loadMillis: 0 });
  try {
    seedSimulator(fresh.state, { ...s.layout, latency: [] });
    const cold = await runNaive(naiveConfig(fresh.address, s.layout.policies, s.opts.resyncSeconds), ['--until-converged']);
    const mismatches = milvusMismatches(fresh.state, s.layout.policies);
    if (mismatches.length > 0) throw new Error(`naive poller did not converge Milvus: ${mismatches.slice(0, 3).join('; ')}`);
    const acting = cold.passes.filter((p) => p.actions > 0);
    const lastActing = acting[acting.length - 1];
    const naiveColdMs = lastActing ? lastActing.startedAt + lastActing.ms - cold.spawnedAt : 0;
    const naiveColdRpcs = fresh.totalCalls();
    return {
      policies: s.layout.policies.length,
      collections: s.layout.collections,
      databases: s.layout.databases.length,
      passes: steady.passes.length,
      naiveRpcsPerPass: round(perPass, 1),
      naiveRpcsByMethod: counters,
      naivePassMsP50: naivePassMs,
      naiveMaxRssMiB: round(steady.maxRssBytes / MiB, 1),
      operatorRpcsPerPass: operator.steady.rpcsPerPass,
      operatorPassMilvusMsP50: operator.steady.passMilvusMsP50,
      rpcRatio: round(operator.steady.rpcsPerPass / perPass, 5),
      passTimeRatio: naivePassMs > 0 ? round(operator.steady.passMilvusMsP50 / naivePassMs, 3) : 0,
      naiveColdSeconds: round(naiveColdMs / 1000),
      naiveColdRpcs,
      operatorColdLastActionSeconds: operator.cold.lastActionSeconds,
      operatorColdRpcs: operator.cold.rpcTotal,
      coldTimeRatio: naiveColdMs > 0 ? round((operator.cold.lastActionSeconds * 1000) / naiveColdMs, 3) : 0,
      coldRpcRatio: naiveColdRpcs > 0 ? round(operator.cold.rpcTotal / naiveColdRpcs, 4) : 0,
    };
  } finally {
    await fresh.stop();
  }
}
