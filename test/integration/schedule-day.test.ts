// A simulated day for three teams sharing one budget: windows, priorities,
// preemption and releases, driven by an injected clock through the real
// apiserver, the operator's own reconcile loop (in process, so the clock can
// be injected) and the simulator's memory accounting.
import { realClock } from '../../src/kube/clock.ts';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { createOperator, type Operator } from '../../src/controller/operator.ts';
import { KubeHttp } from '../../src/kube/http.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createSdkPort } from '../../src/milvus/sdk-adapter.ts';
import { instanceKey } from '../../src/api/instance.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DAY = Date.parse('2026-11-25T00:00:00Z'); // a Wednesday
const GiB = 2 ** 30;

// team, window (UTC), priority
const TEAMS: [string, string, string, number][] = [
  ['alpha', '08:00', '12:00', 30],
  ['beta', '10:00', '16:00', 20],
  ['gamma', '11:00', '20:00', 10],
];

/** What should be loaded at each hour: the budget (9Gi, 4Gi each) fits two; LowerPriority. */
function expected(hour: number): string[] {
  const want = TEAMS.filter(([, s, e]) => hour >= Number(s.slice(0, 2)) && hour < Number(e.slice(0, 2)))
    .sort((a, b) => b[3] - a[3])
    .map(([t]) => t);
  return want.slice(0, 2).sort();
}

describe('a simulated day: three teams, windows, one budget', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let op: Operator;
  let clock = DAY;

  before(async () => {
    // One at a time, so that `after` can stop whatever did start.
    sim = await startSimulator({ loadMillis: 0, now: () => clock });
    kube = await startKube();
    for (const [t] of TEAMS) sim.state.createCollection('default', t, { memBytes: 4 * GiB });
    await kube.kubectl(['apply', '-f', `${root}crds/`]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'teams']);
    const yaml = [
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadBudget\nmetadata: { name: shared }\nspec: { milvusUri: "${sim.uri}", memoryLimit: 9Gi, preemption: LowerPriority }\n`,
      ...TEAMS.map(
        ([t, s, e, prio]) =>
          `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${t}, namespace: teams }\nspec:\n  milvus: { uri: "${sim.uri}" }\n  selector: { names: [${t}] }\n  priority: ${prio}\n  load: { memoryEstimate: 4Gi }\n  schedule: { timeZone: UTC, windows: [{ start: "${s}", end: "${e}" }] }\n`,
      ),
    ].join('---\n');
    const r = await kube.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    op = createOperator({
      http: new KubeHttp(kc),
      log: createLogger('warn'),
      portFactory: createSdkPort,
      namespaces: [],
      resyncMs: 3_600_000,
      concurrency: 1,
      dryRun: false,
      clock: { ...realClock, now: () => clock },
    });
    await op.start();
    await until('the operator caches synced', async () => op.synced(), 60_000, 50);
  });

  after(async () => {
    await op?.stop(5000);
    await Promise.all([sim?.stop(), kube?.stop()]);
  });

  /**
   * One full pass of the instance that starts after this call: wait until the queue has processed
   * something, then until it is idle (a pass that was already running is followed by another, as
   * the key was added while it ran).
   */
  const pass = async (instance: string): Promise<void> => {
    const processed = op.queue.stats.processed;
    op.reconcileNow(instance);
    await until('a reconcile of the instance', async () => op.queue.stats.processed > processed, 30_000, 5);
    await op.queue.whenIdle();
  };

  it('loads and releases on the expected timetable, never over budget', async () => {
    const instance = instanceKey(sim.uri) ?? '';
    const seen: string[] = [];
    for (let hour = 0; hour < 24; hour++) {
      clock = DAY + hour * 3_600_000 + 60_000; // a minute past the hour
      // Two passes: the first acts; the second sees the result (a release frees room for a deferred load).
      for (let i = 0; i < 2; i++) {
        await pass(instance);
        // The simulator's own memory accounting, after every pass: between the two passes too.
        assert.ok(sim.state.usedBytes <= 9 * GiB, `at ${hour}:01, pass ${i + 1}: ${sim.state.usedBytes / GiB} GiB in use, over the 9 GiB budget`);
      }
      const loaded = TEAMS.map(([t]) => t).filter((t) => sim.state.collection('default', t)?.load !== undefined).sort();
      seen.push(`${String(hour).padStart(2, '0')}:01 ${loaded.join(',') || '-'}`);
      assert.deepEqual(loaded, expected(hour), `at ${hour}:01 loaded ${loaded.join(',')}; timetable so far:\n${seen.join('\n')}`);
      assert.equal(sim.state.usedBytes, loaded.length * 4 * GiB, 'the simulator accounts 4 GiB per loaded collection');
    }
  });

  it('says why gamma waited at 11:00, and when each schedule changes next', async () => {
    clock = DAY + 11 * 3_600_000 + 60_000;
    await pass(instanceKey(sim.uri) ?? '');
    const reason = await kube.kubectl(['get', 'clp', 'gamma', '-n', 'teams', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}']);
    assert.equal(reason.stdout, 'OverBudget');
    const next = await kube.kubectl(['get', 'clp', 'alpha', '-n', 'teams', '-o', 'jsonpath={.status.nextScheduleChange}']);
    assert.equal(next.stdout, '2026-11-25T12:00:00Z');
  });
});
