// What the simulator adds over the real servers: faults, capacity, stuck
// loads, auth, counters and scale, seen through the real Node SDK.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { statusOf, isSuccess } from '../milvus-contract/contract.ts';
import { startSimulator, type MilvusSimulator } from './index.ts';

describe('Milvus simulator', () => {
  let sim: MilvusSimulator;
  let clock = 1_000_000;
  let c: MilvusClient;
  before(async () => {
    sim = await startSimulator({ now: () => clock, loadMillis: 10_000 });
    // The SDK's telemetry heartbeat would fail unhandled while the simulator is down; the operator turns it off too.
    c = new MilvusClient({ address: sim.address, timeout: 5000, telemetry: { enabled: false } });
  });
  after(async () => {
    await c.closeConnection();
    await sim.stop();
  });

  it('loads on its injected clock: Loading with progress, then Loaded', async () => {
    sim.state.createCollection('default', 'slow', { rows: 1000 });
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'slow' })));
    assert.equal((await c.getLoadState({ collection_name: 'slow' })).state, 'LoadStateLoading');
    clock += 4_000;
    assert.equal(Number((await c.getLoadingProgress({ collection_name: 'slow' })).progress), 40);
    clock += 6_000;
    assert.equal((await c.getLoadState({ collection_name: 'slow' })).state, 'LoadStateLoaded');
  });

  it('refuses to load without an index, with the real code', async () => {
    sim.state.createCollection('default', 'noindex', { indexed: false });
    const r = await c.loadCollectionAsync({ collection_name: 'noindex' });
    assert.equal(statusOf(r)?.code, 700);
    assert.match(String(statusOf(r)?.reason), /index not found/);
  });

  it('fails a load past query-node memory like Milvus, and release frees it', async () => {
    sim.state.capacityBytes = 10_000;
    sim.state.createCollection('default', 'big', { memBytes: 8_000 });
    sim.state.createCollection('default', 'big2', { memBytes: 8_000 });
    for (const n of ['slow']) await c.releaseCollection({ collection_name: n });
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'big' })));
    const r = await c.loadCollectionAsync({ collection_name: 'big2' });
    assert.equal(statusOf(r)?.error_code, 'InsufficientMemoryToLoad');
    assert.match(String(statusOf(r)?.reason), /OOM if load/);
    await c.releaseCollection({ collection_name: 'big' });
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'big2' })));
    await c.releaseCollection({ collection_name: 'big2' });
    sim.state.capacityBytes = Number.MAX_SAFE_INTEGER;
  });

  it('refuses more replicas than query nodes with the real text', async () => {
    const r = await c.loadCollectionAsync({ collection_name: 'slow', replica_number: 2 });
    assert.match(String(statusOf(r)?.reason), /nodes not enough/);
    sim.state.queryNodes = 2;
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'slow', replica_number: 2 })));
    sim.state.queryNodes = 1;
  });

  it('can leave loads stuck', async () => {
    sim.state.stuckLoadsAt = 30;
    sim.state.createCollection('default', 'stuck');
    await c.loadCollectionAsync({ collection_name: 'stuck' });
    clock += 1_000_000;
    assert.equal(Number((await c.getLoadingProgress({ collection_name: 'stuck' })).progress), 30);
    assert.equal((await c.getLoadState({ collection_name: 'stuck' })).state, 'LoadStateLoading');
    sim.state.stuckLoadsAt = undefined;
  });

  it('injects one-shot errors, latency and UNAVAILABLE', async () => {
    sim.faults.failNext.set('ShowCollections', { error_code: 'UnexpectedError', reason: 'injected', code: 65535, retriable: false, detail: '' });
    assert.ok(!isSuccess(await c.showCollections()));
    assert.ok(isSuccess(await c.showCollections()));
    sim.faults.latencyMs.set('GetVersion', 300);
    const t0 = performance.now();
    await c.getVersion();
    assert.ok(performance.now() - t0 >= 290);
    sim.faults.latencyMs.clear();
    // A connected client first: the SDK connects in its constructor.
    const quick = new MilvusClient({ address: sim.address, timeout: 1000, maxRetries: 0, telemetry: { enabled: false } });
    await quick.showCollections();
    sim.faults.unavailable = true;
    try {
      const failed = await quick.showCollections().then(
        () => false,
        () => true,
      );
      assert.ok(failed, 'UNAVAILABLE reaches the caller as an error');
    } finally {
      sim.faults.unavailable = false;
      await quick.closeConnection();
    }
  });

  it('answers an unimplemented RPC with UNIMPLEMENTED, which the SDK turns into an empty reply', async () => {
    const r = await c.listUsers();
    assert.equal(statusOf(r), undefined, `got ${JSON.stringify(r)}`);
  });

  it('requires credentials when told to', async () => {
    const anon = new MilvusClient({ address: sim.address, timeout: 2000, maxRetries: 0 });
    const alice = new MilvusClient({ address: sim.address, username: 'alice', password: 'secret', timeout: 2000 });
    await anon.showCollections();
    await alice.showCollections();
    sim.faults.requireAuth = 'alice:secret';
    try {
      const denied = await anon.showCollections().then(
        (r) => !isSuccess(r),
        () => true,
      );
      assert.ok(denied, 'a call without the right credentials is refused');
      assert.ok(isSuccess(await alice.showCollections()));
    } finally {
      sim.faults.requireAuth = undefined;
      await anon.closeConnection();
      await alice.closeConnection();
    }
  });

  it('counts calls per method, for the benchmarks', async () => {
    sim.resetCounters();
    await c.showCollections();
    await c.loadCollectionAsync({ collection_name: 'slow' });
    assert.equal(sim.counters().ShowCollections, 1);
    assert.equal(sim.mutatingCalls(), 1);
  });

  it('holds 10,000 collections and lists them in one call', async (t) => {
    const t0 = performance.now();
    sim.state.createMany('scale', 'c', 10_000, { rows: 100 });
    const created = performance.now() - t0;
    const t1 = performance.now();
    const r = await c.showCollections({ db_name: 'scale' });
    const listed = performance.now() - t1;
    assert.equal(r.data.length, 10_000);
    t.diagnostic(`created 10,000 collections in ${created.toFixed(0)} ms; ShowCollections over them took ${listed.toFixed(0)} ms (measurement, not a pass/fail bound)`);
  });

  it('goes down and comes back on the same port with the same state', async () => {
    const quick = new MilvusClient({ address: sim.address, timeout: 1000, maxRetries: 0, telemetry: { enabled: false } });
    await quick.showCollections();
    await sim.stop();
    try {
      const down = await quick.showCollections().then(
        (r) => !isSuccess(r),
        () => true,
      );
      assert.ok(down, 'a stopped simulator refuses calls');
    } finally {
      await quick.closeConnection();
      await sim.restart();
    }
    // The client reconnects on gRPC's own backoff; give it a few seconds.
    let names: string[] = [];
    for (let i = 0; i < 50 && names.length === 0; i++) {
      names = await c.showCollections().then(
        (r) => r.data.map((d) => d.name),
        () => [],
      );
      if (names.length === 0) await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(names.includes('slow'), 'state survives a restart');
  });
});
