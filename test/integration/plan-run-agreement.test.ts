// `plan` promises exactly what one reconcile would do. This property test
// holds it to that: over generated sets of policies (names and patterns,
// Loaded and Released, tied and distinct priorities, partitions, a budget
// sometimes, schedules sometimes, a collection sometimes missing), it plans
// with plan's own path (planInstances -> view -> report, as `plan -o json`
// prints) against the Milvus simulator, then runs ONE pass of the reconciler
// `run` executes against the same simulator state, and compares the load and
// release calls the simulator received with the lines plan predicted.
// The simulator (not a real Milvus) because each run needs a fresh server
// with a chosen state, many times over; the real servers back plan-live and
// the reconciler's own integration tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CollectionLoadBudget } from '../../src/api/budget.ts';
import type { CollectionLoadPolicy, PolicySpec } from '../../src/api/policy.ts';
import { buildReport, offlineResolver, planInstances, viewOf } from '../../src/cli/plan.ts';
import { ConnectionPool } from '../../src/controller/connections.ts';
import { EstimateCache } from '../../src/controller/observe.ts';
import { instanceOf } from '../../src/controller/pass.ts';
import { createReconciler } from '../../src/controller/reconcile.ts';
import type { KubePort } from '../../src/kube/port.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createSdkPort } from '../../src/milvus/sdk-adapter.ts';
import { budget, policy, T0 } from '../../src/planner/testkit.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

/** Fixed, so a failure replays; fast-check prints it with the counterexample. */
const SEED = 20_261_123;
const RUNS = 40;
const COLLECTIONS = ['c0', 'c1', 'c2', 'c3', 'c4'] as const;
/** How a collection starts: absent from Milvus (a policy naming it sees it missing), or in one load state. */
type Start = 'absent' | 'released' | 'loaded' | 'loading';

interface World {
  readonly collections: readonly Start[];
  readonly policies: readonly PolicyGen[];
  readonly budget?: { readonly limitGi: number; readonly preemption?: 'Never' | 'LowerPriority' };
}

interface PolicyGen {
  readonly namespace: string;
  readonly selector: { names: string[] } | { patterns: string[] };
  readonly state: 'Loaded' | 'Released';
  readonly priority: number;
  readonly partitions: boolean;
  readonly estimateGi?: number;
  /** open: now is inside the window; closed: outside; prewarm: outside, but within the prewarm lead. */
  readonly schedule?: 'open' | 'closed' | 'prewarm';
  readonly refresh: boolean;
  readonly suspend: boolean;
  readonly release: boolean;
}

const policyGen: fc.Arbitrary<PolicyGen> = fc.record(
  {
    namespace: fc.constantFrom('search', 'other'),
    selector: fc.oneof(
      fc.record({ names: fc.uniqueArray(fc.constantFrom(...COLLECTIONS, 'ghost'), { minLength: 1, maxLength: 3 }) }),
      fc.constantFrom(['c*'], ['c[0-2]'], ['c?', 'c1*']).map((patterns) => ({ patterns: [...patterns] })),
    ),
    state: fc.constantFrom('Loaded', 'Released'),
    priority: fc.integer({ min: 0, max: 2 }),
    partitions: fc.boolean(),
    estimateGi: fc.integer({ min: 1, max: 3 }),
    schedule: fc.constantFrom('open', 'closed', 'prewarm'),
    refresh: fc.boolean(),
    suspend: fc.boolean(),
    release: fc.boolean(),
  },
  { requiredKeys: ['namespace', 'selector', 'state', 'priority', 'partitions', 'refresh', 'suspend', 'release'] },
).map((p) => ({ ...p, suspend: p.suspend && p.priority === 0, partitions: p.partitions && p.priority === 1 }));

const worldGen: fc.Arbitrary<World> = fc.record(
  {
    collections: fc.array(fc.constantFrom<Start>('absent', 'released', 'loaded', 'loaded', 'loading'), { minLength: COLLECTIONS.length, maxLength: COLLECTIONS.length }),
    policies: fc.array(policyGen, { minLength: 1, maxLength: 4 }),
    budget: fc.record({ limitGi: fc.integer({ min: 1, max: 6 }), preemption: fc.constantFrom('Never', 'LowerPriority') }, { requiredKeys: ['limitGi'] }),
  },
  { requiredKeys: ['collections', 'policies'] },
);

// T0 is Monday 2026-11-23 10:00 UTC.
const SCHEDULES: Record<NonNullable<PolicyGen['schedule']>, PolicySpec['schedule']> = {
  open: { timeZone: 'UTC', windows: [{ start: '09:00', end: '11:00' }] },
  closed: { timeZone: 'UTC', windows: [{ start: '14:00', end: '15:00' }] },
  prewarm: { timeZone: 'UTC', windows: [{ start: '12:00', end: '13:00' }], prewarm: '3h' },
};

function policiesOf(w: World, uri: string): CollectionLoadPolicy[] {
  return w.policies.map((g, i) =>
    policy({
      name: `p${i}`,
      namespace: g.namespace,
      // Distinct ages, in order: ties in priority are broken by age, as run does.
      created: T0 - 86_400_000 + i * 60_000,
      ...(g.refresh ? { annotations: { 'milvusload.io/refresh': 'r1' } } : {}),
      spec: {
        milvus: { uri },
        selector: g.selector,
        state: g.state,
        priority: g.priority,
        ...(g.partitions ? { partitions: ['p1'] } : {}),
        // The API allows load options and schedules on Loaded policies only.
        ...(g.estimateGi && g.state === 'Loaded' ? { load: { memoryEstimate: `${g.estimateGi}Gi` } } : {}),
        ...(g.schedule && g.state === 'Loaded' ? { schedule: SCHEDULES[g.schedule] } : {}),
        ...(g.suspend ? { suspend: true } : {}),
        ...(g.release ? { deletionPolicy: 'Release' as const } : {}),
      },
    }),
  );
}

function budgetsOf(w: World, uri: string): CollectionLoadBudget[] {
  if (!w.budget) return [];
  const b = budget('cap', `${w.budget.limitGi}Gi`, w.budget.preemption);
  // The API default applies when preemption is not given: leave it out sometimes, as a user would.
  const spec = w.budget.preemption ? b.spec : (({ preemption: _p, ...rest }) => rest)(b.spec);
  return [{ ...b, spec: { ...spec, milvusUri: uri } }];
}

async function simulatorFor(w: World): Promise<MilvusSimulator> {
  // A fixed clock: a Loading collection stays where it is between plan and run.
  const sim = await startSimulator({ now: () => T0 });
  w.collections.forEach((start, i) => {
    const name = COLLECTIONS[i] as string;
    if (start === 'absent') return;
    sim.state.createCollection('default', name, { rows: 1000, partitions: ['p1', 'p2'] });
    if (start === 'loaded' || start === 'loading') sim.state.loadDirectly('default', name, { done: start === 'loaded' });
  });
  return sim;
}

/** The Kubernetes side of one pass, in memory: no Secrets; finalizers and statuses are accepted. */
function memoryKube(policies: CollectionLoadPolicy[]): KubePort {
  const find = (ns: string, name: string): CollectionLoadPolicy | undefined => policies.find((p) => p.metadata.namespace === ns && p.metadata.name === name);
  return {
    getSecret: async () => undefined,
    getPolicy: async (ns, name) => find(ns, name),
    patchPolicyStatus: async () => undefined,
    patchBudgetStatus: async () => undefined,
    setFinalizers: async (ns, name, _rv, finalizers) => {
      const p = find(ns, name);
      if (p) p.metadata.finalizers = finalizers;
    },
    recordEvent: async () => undefined,
  };
}

type Call = string;

/** What plan printed as load, refresh and release lines, as the calls they stand for. */
async function predicted(policies: CollectionLoadPolicy[], budgets: CollectionLoadBudget[]): Promise<Call[]> {
  const plans = await planInstances({ policies, budgets }, offlineResolver(undefined, undefined), createSdkPort, T0);
  const report = buildReport(plans.map(viewOf), T0, 'files');
  const changes = report.instances.flatMap((i) => i.changes).filter((c) => c.op === 'load' || c.op === 'refresh' || c.op === 'release');
  return changes.map((c) => `${c.op === 'release' ? 'release' : 'load'} ${c.database}/${c.collection}${c.partitions ? ` [${c.partitions.join(',')}]` : ''}`).sort();
}

/** What one pass of the reconciler sent to the simulator. */
async function acted(sim: MilvusSimulator, policies: CollectionLoadPolicy[], budgets: CollectionLoadBudget[]): Promise<Call[]> {
  const calls: Call[] = [];
  const stop = sim.onCall(({ method, request, database }) => {
    if (!/^(Load|Release)(Collection|Partitions)$/.test(method)) return;
    const parts = method.endsWith('Partitions') ? ` [${(request.partition_names as string[]).join(',')}]` : '';
    calls.push(`${method.startsWith('Load') ? 'load' : 'release'} ${database}/${String(request.collection_name)}${parts}`);
  });
  const pool = new ConnectionPool(createSdkPort);
  try {
    const reconcile = createReconciler({
      kube: memoryKube(policies),
      pool,
      cache: new EstimateCache(),
      log: createLogger('error', {}, () => undefined),
      now: () => T0,
      policies: () => policies,
      budgets: () => budgets,
      settings: { resyncMs: 30_000, pollMs: 2_000, actionConcurrency: 4, dryRun: false, statusHeartbeatMs: 60_000 },
    });
    await reconcile(instanceOf(sim.uri));
  } finally {
    stop();
    await pool.closeAll();
  }
  return calls.sort();
}

describe('plan agrees with run', { timeout: 180_000 }, () => {
  it('the loads and releases plan predicts are the calls one reconcile sends (property, on the simulator)', async (t) => {
    let changed = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(worldGen, async (w) => {
        const sim = await simulatorFor(w);
        try {
          // Each side gets its own copy: the reconciler writes finalizers into its objects.
          const plan = await predicted(policiesOf(w, sim.uri), budgetsOf(w, sim.uri));
          assert.equal(sim.mutatingCalls(), 0, 'plan sent no load or release');
          const run = await acted(sim, policiesOf(w, sim.uri), budgetsOf(w, sim.uri));
          assert.deepEqual(run, plan, 'the calls run sent (actual) differ from the lines plan printed (expected)');
          total += run.length;
          if (run.length > 0) changed++;
        } finally {
          await sim.stop();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    t.diagnostic(`seed ${SEED}: ${changed} of ${RUNS} worlds had changes, ${total} load/release calls compared`);
    // A property that never saw a change would prove nothing.
    assert.ok(changed >= RUNS / 4, `only ${changed} of ${RUNS} generated worlds needed a load or release`);
  });
});
