// The memory floor (issue 16; DESIGN §4 "≤ 140 MiB with 10 policies on one
// instance, ≤ 10 MiB per further Milvus instance"): the operator with little
// to do. 0, 10 and 100 policies on one Milvus instance, then policies spread
// over several instances, each instance a simulator server of its own (its
// own port, so the operator holds one client per instance, as with real
// clusters). For each: RSS and heap used once the caches are synced and every
// status is correct ("after start"), and again after `resyncs` more passes on
// every instance ("after resyncs"), plus the memory series.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../src/kube/http.ts';
import { policiesPath } from '../src/kube/resources.ts';
import { startKube, type KubeEnv } from '../test/env/kube.ts';
import { peakRss } from '../test/env/process.ts';
import { httpGet, installCrds } from '../test/reliability/support.ts';
import { startSimulator, type MilvusSimulator } from '../test/simulator/index.ts';
import { COLLECTIONS_PER_POLICY, NAMESPACE, policyManifest, type PolicyPlan } from './layout.ts';
import { memorySeries, sampleAt, type MemorySeries } from './memory-series.ts';
import { currentRss, spawnOperator, type OperatorProcess } from './operator-process.ts';
import { StatusTracker } from './status-tracker.ts';

const MiB = 1024 * 1024;
const mib = (b: number): number => Math.round((b / MiB) * 10) / 10;

export interface BaselineSizes {
  /** Policy counts on one instance. */
  readonly policies: readonly number[];
  /** Instance counts; each gets max(policiesAcrossInstances, instances) policies, round robin. */
  readonly instances: readonly number[];
  readonly policiesAcrossInstances: number;
  readonly resyncs: number;
  readonly resyncSeconds: number;
}

export interface BaselineCase {
  policies: number;
  instances: number;
  /** Spawn → /readyz answered 200 and every status correct. */
  startSeconds: number;
  rssAfterStartMiB: number;
  heapUsedAfterStartMiB: number;
  /** Passes counted on every instance after the start (with no policy: resync periods waited). */
  resyncs: number;
  rssAfterResyncsMiB: number;
  heapUsedAfterResyncsMiB: number;
  peakRssMiB: number;
  memory: MemorySeries;
}

export interface BaselineResult {
  resyncSeconds: number;
  /** Policies of the one-instance case the per-instance cost is counted from. */
  policiesAcrossInstances: number;
  cases: BaselineCase[];
}

/** The cases to run, each once: (policies, 1 instance) for every count, then the instance counts. */
export function baselineCases(z: BaselineSizes): { policies: number; instances: number }[] {
  const out = z.policies.map((policies) => ({ policies, instances: 1 }));
  for (const instances of z.instances) {
    const policies = Math.max(z.policiesAcrossInstances, instances);
    if (!out.some((c) => c.policies === policies && c.instances === instances)) out.push({ policies, instances });
  }
  return out;
}

interface CaseEnv {
  readonly kube: KubeEnv;
  readonly http: KubeHttp;
  readonly tracker: StatusTracker;
  readonly main: string;
  readonly z: BaselineSizes;
}

function plansFor(index: number, policies: number, sims: readonly MilvusSimulator[]): { plan: PolicyPlan; sim: MilvusSimulator }[] {
  return Array.from({ length: policies }, (_, i) => {
    const sim = sims[i % sims.length] as MilvusSimulator;
    const collections = Array.from({ length: COLLECTIONS_PER_POLICY }, (_, d) => `c_${i}_${d}`);
    for (const c of collections) sim.state.createCollection('default', c, { rows: 1000, dim: 8 });
    const plan: PolicyPlan = { name: `base-${index}-${i}`, database: 'default', state: 'Loaded', collections, selector: { names: collections }, preloaded: [] };
    return { plan, sim };
  });
}

/** Polls `f` until true; fails at once with the operator's output when it exits, and on timeout. */
async function whileRunning(op: OperatorProcess, what: string, f: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!op.proc.isRunning()) throw new Error(`baseline: the operator exited while waiting for ${what}; its output:\n${op.proc.tail(40)}`);
    if (await f()) return;
    if (Date.now() > deadline) throw new Error(`baseline: no ${what} after ${timeoutMs / 1000} s; operator output:\n${op.proc.tail(20)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function operatorStarted(env: CaseEnv, op: OperatorProcess, names: readonly string[]): Promise<void> {
  await whileRunning(op, '/readyz 200 (caches synced)', async () => (await httpGet(`${op.healthUrl ?? ''}/readyz`)) !== undefined, 120_000);
  let correct = false;
  void env.tracker.whenCorrect(names).then(() => (correct = true));
  await whileRunning(op, `every status correct (${names.length} policies)`, () => correct, 300_000);
}

async function runCase(env: CaseEnv, index: number, c: { policies: number; instances: number }): Promise<BaselineCase> {
  const { kube, http, tracker, z } = env;
  const sims = await Promise.all(Array.from({ length: c.instances }, () => startSimulator({ loadMillis: 0 })));
  // Pass starts per instance: one ShowCollections (All) per database per pass, and here one database.
  const passes = sims.map(() => 0);
  sims.forEach((sim, k) => sim.onCall((call) => {
    if (call.method === 'ShowCollections' && (call.request as { type?: unknown }).type !== 'InMemory') passes[k] = (passes[k] ?? 0) + 1;
  }));
  let op: OperatorProcess | undefined;
  try {
    const plans = plansFor(index, c.policies, sims);
    tracker.expect(plans.map((p) => p.plan));
    for (const { plan, sim } of plans) await http.call('POST', policiesPath(NAMESPACE), policyManifest(plan, sim.uri));
    op = await spawnOperator({ main: env.main, kubeconfigPath: kube.kubeconfigPath, resyncSeconds: z.resyncSeconds, dir: kube.dir, health: true });
    const pid = op.proc.pid;
    await operatorStarted(env, op, plans.map((p) => p.plan.name));
    const startDone = Date.now();
    const rssAfterStart = await currentRss(pid);
    const heapAfterStart = sampleAt(await op.memorySamples(), startDone)?.heapUsed ?? 0;
    const from = [...passes];
    if (c.policies > 0) {
      await whileRunning(op, `${z.resyncs} passes on each of ${c.instances} instances`, () => passes.every((n, k) => n >= (from[k] ?? 0) + z.resyncs), (z.resyncs + 10) * z.resyncSeconds * 3000 + 60_000);
    } else {
      // No policy, no instance to count passes of: the same span of time instead.
      await new Promise((r) => setTimeout(r, z.resyncs * z.resyncSeconds * 1000));
    }
    const end = Date.now();
    const samples = await op.memorySamples();
    return {
      policies: c.policies,
      instances: c.instances,
      startSeconds: Math.round((startDone - op.startedAt) / 10) / 100,
      rssAfterStartMiB: mib(rssAfterStart),
      heapUsedAfterStartMiB: mib(heapAfterStart),
      resyncs: z.resyncs,
      rssAfterResyncsMiB: mib(await currentRss(pid)),
      heapUsedAfterResyncsMiB: mib(sampleAt(samples, end)?.heapUsed ?? 0),
      peakRssMiB: mib((await peakRss(pid)) ?? 0),
      memory: memorySeries(samples, op.startedAt, op.startedAt, end),
    };
  } finally {
    await op?.proc.stop();
    // Default deletionPolicy Retain: no finalizer, so the policies go at once without an operator.
    const del = await kube.kubectl(['delete', 'collectionloadpolicies', '--all', '-n', NAMESPACE]);
    await Promise.all(sims.map((s) => s.stop()));
    if (del.code !== 0) throw new Error(`kubectl delete collectionloadpolicies --all -n ${NAMESPACE} failed: ${del.stderr}`);
  }
}

export async function memoryBaseline(main: string, z: BaselineSizes, log: (line: string) => void): Promise<BaselineResult> {
  const kube = await startKube();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  const tracker = new StatusTracker(kube.kubeconfigPath);
  try {
    await installCrds(kube, [NAMESPACE]);
    tracker.start();
    const env: CaseEnv = { kube, http: new KubeHttp(kc), tracker, main, z };
    const cases: BaselineCase[] = [];
    for (const [i, c] of baselineCases(z).entries()) {
      const r = await runCase(env, i, c);
      cases.push(r);
      log(`  baseline ${c.policies} policies on ${c.instances} instance(s): RSS ${r.rssAfterStartMiB} MiB after start, ${r.rssAfterResyncsMiB} MiB after ${r.resyncs} resyncs; heap used ${r.heapUsedAfterStartMiB} → ${r.heapUsedAfterResyncsMiB} MiB; peak ${r.peakRssMiB} MiB`);
    }
    return { resyncSeconds: z.resyncSeconds, policiesAcrossInstances: z.policiesAcrossInstances, cases };
  } finally {
    tracker.stop();
    await kube.stop();
  }
}
