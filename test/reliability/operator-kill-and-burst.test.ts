// Reliability of the operator itself, on the simulator:
// - SIGKILLed while loads are in progress (loads take 8 s), then started
//   again: it converges, and no collection that Milvus is already loading or
//   has loaded is sent LoadCollection again (simulator counters).
// - A burst of 1,000 updates to one policy: the work queue coalesces them into
//   far fewer reconciles (counted from the operator's debug log and from the
//   simulator's ShowCollections calls), and the final state is the last edit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { processAlive } from '../env/process.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { apply, installCrds, isReady, kubeClient, policy, startOperator, untilPolicy, type OperatorProcess } from './support.ts';

const NS = 'rel-operator';
const BURST = 1000;

describe('reliability: operator killed mid-load, and a burst of updates', { timeout: 420_000 }, () => {
  let kube: KubeEnv;
  let slow: MilvusSimulator;
  let busy: MilvusSimulator;
  let first: OperatorProcess | undefined;
  let second: OperatorProcess | undefined;

  before(async () => {
    slow = await startSimulator({ loadMillis: 8_000 });
    busy = await startSimulator({ loadMillis: 100 });
    for (let i = 0; i < 6; i++) slow.state.createCollection('default', `k${i}`, { rows: 10 });
    // Already loaded before any operator: must never be loaded again either.
    slow.state.createCollection('default', 'k_warm', { rows: 10 });
    slow.state.loadDirectly('default', 'k_warm');
    for (let i = 0; i < 5; i++) busy.state.createCollection('default', `m${i}`, { rows: 10 });
    kube = await startKube();
    await installCrds(kube, [NS]);
  });

  after(async () => {
    await first?.proc.stop();
    await second?.proc.stop();
    await Promise.all([slow?.stop(), busy?.stop(), kube?.stop()]);
  });

  it('SIGKILL while collections are Loading; the next operator converges without loading any of them again', async () => {
    await apply(kube, policy(NS, 'slow', slow.uri, '  selector: { patterns: ["k*"] }'));
    first = await startOperator(kube, { name: 'operator-1' });
    const op1 = first;
    await until('all six LoadCollection calls sent', async () => (slow.counters.LoadCollection ?? 0) >= 6, 60_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; counters ${JSON.stringify(slow.counters)}; operator log:\n${op1.tail()}`);
    });
    const loading = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].filter((n) => slow.state.loadState(slow.state.collection('default', n)) === 'LoadStateLoading');
    assert.ok(loading.length >= 5, `the kill must land while loads are in progress; loading now: ${loading.join(', ')}`);
    await op1.proc.kill();
    assert.ok(!processAlive(op1.pid), 'operator 1 is gone');
    const loadsAtKill = slow.counters.LoadCollection ?? 0;
    assert.equal(loadsAtKill, 6, `exactly one LoadCollection per collection before the kill: ${JSON.stringify(slow.counters)}`);

    second = await startOperator(kube, { name: 'operator-2' });
    const op2 = second;
    const t0 = Date.now();
    await untilPolicy(kube, { ns: NS, name: 'slow', op: op2 }, 'Ready: all seven loaded', (p) => isReady(p) && p.summary?.loaded === 7, 60_000);
    process.stderr.write(`reliability/operator-kill: converged ${Date.now() - t0} ms after the restart; LoadCollection calls ${slow.counters.LoadCollection} for 6 collections (+1 loaded beforehand)\n`);
    assert.equal(slow.counters.LoadCollection ?? 0, loadsAtKill, 'the restarted operator loaded again a collection Milvus was already loading or had loaded');
    assert.equal(slow.counters.ReleaseCollection ?? 0, 0, 'nothing released');
    await op2.proc.stop();
    second = undefined;
  });

  it(`${BURST.toLocaleString('en')} quick updates to one policy are coalesced; the last one wins`, async () => {
    await apply(kube, [0, 1, 2, 3, 4].map((i) => policy(NS, `busy-${i}`, busy.uri, `  selector: { names: [m${i}] }`)).join(''));
    const op = await startOperator(kube, { name: 'operator-burst' });
    second = op;
    for (let i = 0; i < 5; i++) await untilPolicy(kube, { ns: NS, name: `busy-${i}`, op }, 'Ready', isReady, 60_000);
    const instance = busy.address;
    const reconciles = async (): Promise<number> => (await op.logLines()).filter((l) => l.msg === 'reconciled' && l.instance === instance).length;
    // A reconcile goes a cell (here: the database) at a time, and may do a cell touched during it once more (ADR 0012).
    const cellRuns = async (): Promise<number> => (await op.logLines()).filter((l) => l.msg === 'cell reconciled' && l.instance === instance).length;
    // Quiet first: the start-up reconciles are done once a resync (every 2 s) has come and gone.
    const startup = await reconciles();
    await until('a resync after start-up', async () => (await reconciles()) > startup, 60_000);
    const before = await reconciles();
    const runsBefore = await cellRuns();
    const showBefore = busy.counters.ShowCollections ?? 0;
    const send = await kubeClient(kube);
    const path = `/apis/milvusload.io/v1alpha1/namespaces/${NS}/collectionloadpolicies/busy-0`;
    const t0 = Date.now();
    let next = 0;
    const failures: string[] = [];
    // Two writers, as fast as the apiserver takes them (~4 ms a patch). More
    // writers on one object are slower, not faster: the apiserver retries
    // concurrent updates of one object (32 writers: ~8 patches/s).
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < BURST - 1) {
          const i = next++;
          const r = await send('PATCH', path, { metadata: { annotations: { 'example.com/burst': String(i) } }, spec: { priority: i % 500 } });
          if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 200)}`);
        }
      }),
    );
    // The last edit, after all the others: released, priority 1000.
    const last = await send('PATCH', path, { metadata: { annotations: { 'example.com/burst': 'last' } }, spec: { priority: 1000, state: 'Released' } });
    assert.equal(last.status, 200, last.body);
    const burstMs = Date.now() - t0;
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of the patches failed`);
    const final = await untilPolicy(kube, { ns: NS, name: 'busy-0', op }, 'the last edit applied: Released, status of the latest generation', (p) => isReady(p) && p.conditions.get('Ready')?.reason === 'Released', 60_000);
    assert.equal(busy.state.loadState(busy.state.collection('default', 'm0')), 'LoadStateNotLoad', 'm0 released in Milvus');
    const spec = (final.raw as { spec: { priority: number; state: string } }).spec;
    assert.deepEqual([spec.priority, spec.state], [1000, 'Released']);
    const settledMs = Date.now() - t0;
    // Let the tail of the burst drain before counting: two more reconciles after the settled status was read
    // (the second started after it); the bound below allows for them.
    const drained = await reconciles();
    await until('two reconciles after the burst settled', async () => (await reconciles()) >= drained + 2, 60_000);
    const count = (await reconciles()) - before;
    const runs = (await cellRuns()) - runsBefore;
    const shows = (busy.counters.ShowCollections ?? 0) - showBefore;
    process.stderr.write(
      `reliability/burst: ${BURST} updates in ${burstMs} ms; ${count} reconciles of the instance (${runs} cell runs) and ${shows} ShowCollections until settled (${settledMs} ms); generation ${final.generation}\n`,
    );
    // Each reconcile takes a few milliseconds to tens of them while patches arrive every millisecond or so: most coalesce.
    // How many depends on the machine's load (a slower apiserver spreads the patches out), so the bound is generous;
    // without coalescing there would be one reconcile per update, plus one per status write.
    assert.ok(count > 0, 'no reconcile counted: the debug log line "reconciled" is missing, so this test counts nothing');
    assert.ok(count <= BURST / 2, `${count} reconciles for ${BURST} updates: they are not coalesced`);
    // A cell runs at most twice per reconcile, however many edits arrive meanwhile.
    assert.ok(runs <= 2 * count, `${runs} cell runs in ${count} reconciles`);
    // One observation per cell run (the listing, and the loaded listing where the list has no percentages).
    assert.ok(shows <= 2 * runs + 4, `${shows} ShowCollections for ${runs} cell runs (${count} reconciles)`);
    // The other policies of the instance were not disturbed.
    for (let i = 1; i < 5; i++) {
      const p = await untilPolicy(kube, { ns: NS, name: `busy-${i}`, op }, 'still Ready', isReady, 10_000);
      assert.equal(p.conditions.get('Ready')?.reason, 'Loaded');
    }
    assert.ok(op.proc.isRunning());
  });
});
