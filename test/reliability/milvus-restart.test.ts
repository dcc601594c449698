// Reliability: Milvus killed and restarted, on the simulator (stop/restart,
// with and without the query nodes losing what they had loaded) and on real
// Milvus Lite (SIGKILL, then a new process on the same port and data). While
// Milvus is down each policy says so (Ready=False, Degraded=True, reason
// MilvusUnavailable, a message a person can act on); the operator neither
// crashes nor piles up sockets across cycles; once Milvus is back the policy
// converges. How long that takes is printed, not asserted: the design's
// "within one backoff cap" is a figure for `npm run bench`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { MilvusUnavailableError, startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import { ofInstance, scrapeMetrics } from '../env/operator-metrics.ts';
import { processAlive } from '../env/process.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { apply, connectionsTo, fdCount, installCrds, isReady, policy, startOperator, untilPolicy, type OperatorProcess, type PolicyView } from './support.ts';

const NS = 'rel-milvus';
const RESYNC = '2s';

const unavailable = (p: PolicyView): boolean =>
  p.conditions.get('Ready')?.status === 'False' && p.conditions.get('Degraded')?.status === 'True' && p.conditions.get('Degraded')?.reason === 'MilvusUnavailable';

function assertActionableDownMessage(p: PolicyView): void {
  const ready = p.conditions.get('Ready');
  const degraded = p.conditions.get('Degraded');
  assert.equal(ready?.reason, 'MilvusUnavailable', `Ready reason while Milvus is down: ${JSON.stringify(ready)}`);
  // What is wrong and what to do: the advice names spec.milvus.uri and asks to check that Milvus runs.
  assert.match(degraded?.message ?? '', /check that Milvus is running/, `Degraded message: ${degraded?.message}`);
  assert.match(degraded?.message ?? '', /spec\.milvus\.uri/);
  assert.ok(!/undefined|\[object Object\]/.test(degraded?.message ?? ''), `a message a person can read: ${degraded?.message}`);
}

describe('reliability: Milvus killed and restarted', { timeout: 420_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let lite: MilvusServer | undefined;
  let liteUnavailable: string | undefined;
  let op: OperatorProcess;
  /** Reconciles of the instance on `port` that found Milvus unreachable. */
  const unreachable = async (port: number): Promise<number> => {
    return ofInstance(await scrapeMetrics(op.metricsUrl), 'milvus_load_operator_reconcile_total', port, { result: 'unreachable' });
  };
  /** Proof that the operator kept trying while Milvus was down: `n` more reconciles that found it unreachable. */
  const untilTriedWhileDown = async (port: number, n: number): Promise<void> => {
    const from = await unreachable(port);
    await until(`${n} more reconciles finding Milvus on port ${port} unreachable`, async () => (await unreachable(port)) >= from + n);
  };

  before(async () => {
    sim = await startSimulator({ loadMillis: 300 });
    sim.state.createCollection('default', 'orders', { rows: 100 });
    sim.state.createCollection('default', 'lost', { rows: 100 });
    kube = await startKube();
    try {
      lite = await startMilvusLite();
    } catch (e: unknown) {
      if (!(e instanceof MilvusUnavailableError)) throw e;
      liteUnavailable = e.message;
    }
    if (lite) {
      const c = new MilvusClient({ address: lite.address, telemetry: { enabled: false } });
      await c.createCollection({ collection_name: 'products', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await c.insert({ collection_name: 'products', data: Array.from({ length: 50 }, (_, i) => ({ id: i, vec: Array<number>(8).fill(i / 50) })) });
      await c.createIndex({ collection_name: 'products', field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await c.releaseCollection({ collection_name: 'products' }); // Milvus Lite loads on index creation
      await c.closeConnection();
    }
    await installCrds(kube, [NS]);
    await apply(kube, policy(NS, 'sim-orders', sim.uri, '  selector: { names: [orders, lost] }') + (lite ? policy(NS, 'lite-products', lite.uri, '  selector: { names: [products] }') : ''));
    op = await startOperator(kube, { resync: RESYNC });
  });

  after(async () => {
    await op?.proc.stop();
    await Promise.all([sim?.stop(), lite?.dispose(), kube?.stop()]);
  });

  it('simulator: Degraded while down, converges after each restart, no crash, sockets bounded', async () => {
    await untilPolicy(kube, { ns: NS, name: 'sim-orders', op }, 'Ready', isReady, 60_000);
    const pid = op.pid;
    const fds: number[] = [fdCount(pid)];
    const cycles: { reload: boolean; lose: boolean }[] = [
      { reload: false, lose: false },
      { reload: true, lose: false },
      // The query nodes come back empty for one collection: the operator must load it again itself.
      { reload: true, lose: true },
      { reload: false, lose: false },
    ];
    const figures: string[] = [];
    for (const [i, cycle] of cycles.entries()) {
      await sim.stop();
      const down = await untilPolicy(kube, { ns: NS, name: 'sim-orders', op }, `cycle ${i}: MilvusUnavailable while down`, unavailable, 20_000);
      assertActionableDownMessage(down);
      // Down for a few backoff rounds.
      await untilTriedWhileDown(sim.port, 2);
      assert.ok(op.proc.isRunning() && processAlive(pid), `cycle ${i}: the operator died while Milvus was down:\n${op.tail()}`);
      if (cycle.lose) sim.state.releaseBehindOperatorsBack('default', 'lost');
      const loadsBefore = sim.counters.LoadCollection ?? 0;
      const t0 = Date.now();
      await sim.restart({ reload: cycle.reload });
      await untilPolicy(kube, { ns: NS, name: 'sim-orders', op }, `cycle ${i}: Ready again`, (p) => isReady(p) && p.conditions.get('Degraded')?.status === 'False', 90_000);
      const ms = Date.now() - t0;
      figures.push(`cycle ${i} (${JSON.stringify(cycle)}): converged ${ms} ms after restart`);
      assert.equal(sim.state.loadState(sim.state.collection('default', 'orders')), 'LoadStateLoaded');
      assert.equal(sim.state.loadState(sim.state.collection('default', 'lost')), 'LoadStateLoaded');
      if (cycle.lose) assert.equal((sim.counters.LoadCollection ?? 0) - loadsBefore, 1, 'the lost collection is loaded again, once');
      else assert.equal((sim.counters.LoadCollection ?? 0) - loadsBefore, 0, 'nothing was lost, so nothing is loaded again');
      fds.push(fdCount(pid));
    }
    assert.equal(op.pid, pid);
    assert.ok(processAlive(pid), 'the operator still runs');
    const conns = connectionsTo(pid, sim.port);
    process.stderr.write(`reliability/milvus-restart: ${figures.join('; ')}; open fds per cycle ${fds.join(' -> ')}; connections to the simulator ${conns}\n`);
    // A client or socket leaked per cycle would show as steady growth; allow a few for gRPC's reconnect churn.
    assert.ok(Math.max(...fds.slice(1)) - fds[0]! <= 8, `open descriptors grew across restarts: ${fds.join(' -> ')}`);
    assert.ok(fds[fds.length - 1]! - fds[1]! <= 4, `open descriptors keep growing cycle after cycle: ${fds.join(' -> ')}`);
    assert.ok(conns <= 2, `${conns} connections to one Milvus: one client per instance and credentials is expected`);
    const errors = (await op.logLines()).filter((l) => l.level === 'error' && /unhandled|uncaught/i.test(String(l.msg)));
    assert.deepEqual(errors, [], 'no unhandled rejection while Milvus was down');
  });

  it('Milvus Lite: SIGKILL and restart: Degraded while down, loaded again after', async (t) => {
    if (!lite) {
      t.skip(`Milvus Lite cannot run here: ${liteUnavailable}`);
      return;
    }
    const server = lite;
    const loadState = async (): Promise<string> => {
      const c = new MilvusClient({ address: server.address, timeout: 5000, maxRetries: 0, telemetry: { enabled: false }, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
      try {
        return String((await c.getLoadState({ collection_name: 'products' })).state);
      } finally {
        await c.closeConnection();
      }
    };
    await untilPolicy(kube, { ns: NS, name: 'lite-products', op }, 'Ready', isReady, 60_000);
    assert.equal(await loadState(), 'LoadStateLoaded');
    const pid = op.pid;
    const fds: number[] = [fdCount(pid)];
    const figures: string[] = [];
    for (let i = 0; i < 2; i++) {
      await server.kill();
      const down = await untilPolicy(kube, { ns: NS, name: 'lite-products', op }, `Lite cycle ${i}: MilvusUnavailable while down`, unavailable, 30_000);
      assertActionableDownMessage(down);
      await untilTriedWhileDown(server.port, 2);
      assert.ok(processAlive(pid), `the operator died while Milvus Lite was down:\n${op.tail()}`);
      const t0 = Date.now();
      await server.restart();
      const started = Date.now() - t0;
      await untilPolicy(kube, { ns: NS, name: 'lite-products', op }, `Lite cycle ${i}: Ready again`, (p) => isReady(p) && p.conditions.get('Degraded')?.status === 'False', 90_000);
      await until('products loaded in Milvus Lite', async () => (await loadState()) === 'LoadStateLoaded');
      figures.push(`cycle ${i}: Lite up in ${started} ms, policy Ready ${Date.now() - t0 - started} ms later`);
      fds.push(fdCount(pid));
    }
    process.stderr.write(`reliability/milvus-restart (Lite): ${figures.join('; ')}; open fds ${fds.join(' -> ')}\n`);
    assert.ok(processAlive(pid) && op.pid === pid, 'the same operator process throughout');
    assert.ok(Math.max(...fds) - fds[0]! <= 8, `open descriptors grew across restarts: ${fds.join(' -> ')}`);
  });
});
