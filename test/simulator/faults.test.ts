// Faults the real servers cannot produce on demand, and what the Node SDK
// makes of each: Milvus down, UNAVAILABLE, latency, one-shot errors, stuck
// loads, authentication, UNIMPLEMENTED. The timings printed as diagnostics
// are measurements for the operator's design, not pass/fail bounds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from './index.ts';
import { clientFor, isSuccess, outcome, statusOf } from './sdk.ts';

describe('Milvus simulator: faults, through the Node SDK', () => {
  let sim: MilvusSimulator;
  let clock = 1_700_000_000_000;
  let c: MilvusClient;
  before(async () => {
    sim = await startSimulator({ now: () => clock, loadMillis: 1_000 });
    sim.state.createCollection('default', 'docs', { rows: 10 });
    c = clientFor(sim);
    await c.connectPromise;
  });
  after(async () => {
    sim.faults.clear();
    await c.closeConnection();
    await sim.stop();
  });

  it('Milvus down: connections are refused and the SDK gives up quickly with UNAVAILABLE', async (t) => {
    await sim.faults.unavailable(true);
    try {
      const down = await outcome(c.showCollections());
      assert.equal(down.ok, false);
      if (!down.ok) assert.equal(down.error.code, 14);
      // A client created while Milvus is down: its constructor's Connect rejects `connectPromise`,
      // an unhandled rejection unless the caller attaches a handler at once.
      const fresh = clientFor(sim, { maxRetries: 0 });
      const connect = outcome(fresh.connectPromise);
      const noRetry = await outcome(fresh.getLoadState({ collection_name: 'docs' }));
      assert.equal((await connect).ok, false);
      assert.equal(noRetry.ok, false);
      await fresh.closeConnection();
      t.diagnostic(`refused connection: SDK fails after ${down.ms.toFixed(0)} ms with default retries (3), ${noRetry.ms.toFixed(0)} ms with maxRetries 0`);
    } finally {
      await sim.faults.unavailable(false);
      // `c` is now in gRPC's reconnect backoff; the tests below want a connected client.
      await c.closeConnection();
      c = clientFor(sim);
    }
    const back = clientFor(sim);
    try {
      assert.ok(isSuccess(await back.showCollections()), 'a new client works at once when Milvus is back');
    } finally {
      await back.closeConnection();
    }
  });

  it('every call answered with gRPC UNAVAILABLE: the SDK retry waits for the call deadline', async (t) => {
    const noRetry = clientFor(sim, { maxRetries: 0, timeout: 1_000 });
    const retrying = clientFor(sim, { timeout: 1_000 });
    await Promise.all([noRetry.connectPromise, retrying.connectPromise]);
    await sim.faults.unavailable(true, 'status');
    try {
      const direct = await outcome(noRetry.showCollections());
      const retried = await outcome(retrying.showCollections());
      assert.ok(!direct.ok && direct.error.code === 14);
      assert.equal(retried.ok, false);
      t.diagnostic(`status UNAVAILABLE: maxRetries 0 fails in ${direct.ms.toFixed(0)} ms (code 14); default retries fail after ${retried.ms.toFixed(0)} ms (code ${retried.ok ? '-' : String(retried.error.code)})`);
    } finally {
      await sim.faults.unavailable(false, 'status');
      await noRetry.closeConnection();
      await retrying.closeConnection();
    }
  });

  it('adds latency per method, and the SDK deadline cuts it off', async () => {
    sim.faults.latencyMs('GetVersion', 300);
    try {
      const slow = await outcome(c.getVersion());
      assert.ok(slow.ok && slow.ms >= 290);
      const impatient = clientFor(sim, { timeout: 150 });
      await impatient.connectPromise;
      const cut = await outcome(impatient.getVersion());
      assert.ok(!cut.ok && cut.error.code === 4, 'DEADLINE_EXCEEDED');
      await impatient.closeConnection();
    } finally {
      sim.faults.latencyMs('GetVersion', 0);
    }
  });

  it('a hung server (accepts, never answers): the SDK gives up after `timeout`, DEADLINE_EXCEEDED is not retried', async (t) => {
    const client = clientFor(sim, { timeout: 400 });
    await client.connectPromise;
    sim.faults.latencyMs('*', 3_600_000);
    const callsBefore = sim.counters.GetLoadState ?? 0;
    try {
      const hung = await outcome(client.getLoadState({ collection_name: 'docs' }));
      assert.ok(!hung.ok && hung.error.code === 4, 'DEADLINE_EXCEEDED');
      // No retries: the server saw the call once (a retry would arrive as a second GetLoadState).
      assert.equal(sim.counters.GetLoadState ?? 0, callsBefore + 1, 'DEADLINE_EXCEEDED was retried');
      assert.ok(hung.ms >= 390, `not before the deadline (took ${hung.ms.toFixed(0)} ms)`);
      t.diagnostic(`hung server: fails after ${hung.ms.toFixed(0)} ms with timeout 400`);
    } finally {
      sim.faults.latencyMs('*', 0);
      await client.closeConnection();
    }
  });

  it('a per-call timeout overrides the client one', async () => {
    // An outcome, not a time: the answer takes 1 s; the client gives up after 400 ms unless the call allows 10 s.
    const client = clientFor(sim, { timeout: 400 });
    await client.connectPromise;
    sim.faults.latencyMs('GetLoadState', 1_000);
    try {
      const patient = await outcome(client.getLoadState({ collection_name: 'docs', timeout: 10_000 }));
      assert.ok(patient.ok, `a per-call timeout of 10 s still gave up: ${patient.ok ? '' : String(patient.error.code)}`);
      const impatient = await outcome(client.getLoadState({ collection_name: 'docs' }));
      assert.ok(!impatient.ok && impatient.error.code === 4, 'without it, the client timeout of 400 ms applies');
    } finally {
      sim.faults.latencyMs('GetLoadState', 0);
      await client.closeConnection();
    }
  });

  it('fails the next call of a method once, with a real Milvus status or a gRPC error', async () => {
    sim.faults.failNext('LoadCollection', { code: 1, reason: 'service not ready[querycoord=1]: Initializing' });
    const refused = await c.loadCollectionAsync({ collection_name: 'docs' });
    assert.deepEqual([statusOf(refused)?.code, statusOf(refused)?.error_code], [1, 'NotReadyServe']);
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'docs' })));
    sim.faults.failNext('ShowCollections', { grpcCode: 8, details: 'too many requests' });
    const limited = await outcome(c.showCollections());
    assert.ok(!limited.ok && limited.error.code === 8, 'RESOURCE_EXHAUSTED is not retried by the SDK');
    assert.ok(isSuccess(await c.showCollections()));
  });

  it('keeps loads stuck below a percentage, globally or for one collection', async () => {
    sim.state.config.loadTimeoutMillis = Number.POSITIVE_INFINITY;
    sim.faults.stuckLoads({ atPercent: 30 });
    sim.state.createCollection('default', 'stuck', { rows: 10 });
    await c.loadCollectionAsync({ collection_name: 'stuck' });
    clock += 10_000_000;
    assert.equal(Number((await c.getLoadingProgress({ collection_name: 'stuck' })).progress), 30);
    assert.equal((await c.getLoadState({ collection_name: 'stuck' })).state, 'LoadStateLoading');
    sim.faults.stuckLoads(false);
    assert.equal((await c.getLoadState({ collection_name: 'stuck' })).state, 'LoadStateLoaded', 'lifting the fault lets it finish');
    sim.state.config.loadTimeoutMillis = 600_000;
  });

  it('requires credentials like a Milvus with authorization enabled', async () => {
    const anonymous = clientFor(sim, { maxRetries: 0 });
    const wrong = clientFor(sim, { username: 'root', password: 'nope', maxRetries: 0 });
    const right = clientFor(sim, { username: 'root', password: 'Milvus' });
    const badKey = clientFor(sim, { token: 'not-the-key', maxRetries: 0 });
    const clients = [anonymous, wrong, right, badKey];
    sim.faults.requireAuth({ user: 'root', password: 'Milvus' });
    try {
      const connects = clients.map((x) => outcome(x.connectPromise));
      const [a, w, r, k] = await Promise.all([anonymous, wrong, right, badKey].map((x) => outcome(x.showCollections())));
      assert.ok(a && !a.ok && a.error.code === 16 && a.error.details === 'missing authorization in header');
      assert.ok(w && !w.ok && w.error.code === 16 && w.error.details === 'auth check failure, please check username and password are correct');
      assert.ok(r?.ok);
      assert.ok(k && !k.ok && k.error.details === 'auth check failure, please check api key is correct');
      await Promise.all(connects);
    } finally {
      sim.faults.requireAuth(undefined);
      await Promise.all(clients.map((x) => x.closeConnection()));
    }
  });

  it('accepts an API key when one is required', async () => {
    sim.faults.requireAuth({ token: 'sk-simulator' });
    const right = clientFor(sim, { token: 'sk-simulator' });
    const wrong = clientFor(sim, { token: 'sk-other', maxRetries: 0 });
    const connects = [right, wrong].map((x) => outcome(x.connectPromise));
    try {
      assert.ok(isSuccess(await right.showCollections()));
      const refused = await outcome(wrong.showCollections());
      assert.ok(!refused.ok && refused.error.code === 16 && refused.error.details === 'auth check failure, please check api key is correct');
      await Promise.all(connects);
    } finally {
      sim.faults.requireAuth(undefined);
      await Promise.all([right.closeConnection(), wrong.closeConnection()]);
    }
  });

  it('counts the calls that carry credentials, accepted or not, and only those', async () => {
    const anonymous = clientFor(sim, { maxRetries: 0 });
    const withToken = clientFor(sim, { token: 'sk-counted', maxRetries: 0 });
    const withPassword = clientFor(sim, { username: 'u', password: 'p', maxRetries: 0 });
    try {
      await Promise.all([anonymous, withToken, withPassword].map((x) => outcome(x.connectPromise)));
      sim.resetCounters();
      assert.ok(isSuccess(await anonymous.showCollections()));
      assert.equal(sim.authorizedCalls(), 0, 'no credentials, nothing counted');
      assert.ok(isSuccess(await withToken.showCollections()));
      assert.ok(isSuccess(await withPassword.showCollections()));
      assert.equal(sim.authorizedCalls(), 2);
      assert.equal(sim.totalCalls(), 3);
      sim.resetCounters();
      assert.equal(sim.authorizedCalls(), 0);
    } finally {
      await Promise.all([anonymous, withToken, withPassword].map((x) => x.closeConnection()));
    }
  });

  it('answers UNIMPLEMENTED, which the SDK turns into an empty reply without status', async () => {
    // ListCredUsers has no handler: a server that lacks an RPC answers like this.
    assert.deepEqual(await c.listUsers(), {});
    // Any implemented RPC can be made unimplemented, as on an older server or Milvus Lite.
    sim.faults.unimplemented('GetQuerySegmentInfo');
    sim.faults.unimplemented('ShowCollections');
    try {
      const segments = await c.getQuerySegmentInfo({ collectionName: 'docs' });
      assert.deepEqual(segments, {}, 'no status, no infos: the caller must treat a missing status as a failure');
      const listing = await outcome(c.showCollections());
      assert.ok(!listing.ok && listing.error instanceof TypeError, 'showCollections itself throws: it reads collection_names of {}');
    } finally {
      sim.faults.unimplemented('GetQuerySegmentInfo', false);
      sim.faults.unimplemented('ShowCollections', false);
    }
    // What the operator's other calls make of it: `{}` where the SDK hands the reply back, a TypeError where it reads into it.
    const empty: [string, () => Promise<unknown>][] = [
      ['GetLoadState', () => c.getLoadState({ collection_name: 'docs' })],
      ['GetLoadingProgress', () => c.getLoadingProgress({ collection_name: 'docs' })],
      ['LoadCollection', () => c.loadCollectionAsync({ collection_name: 'docs' })],
      ['ReleaseCollection', () => c.releaseCollection({ collection_name: 'docs' })],
      ['GetReplicas', () => c.getReplicas({ collectionID: '1' })],
    ];
    for (const [rpc, call] of empty) {
      sim.faults.unimplemented(rpc);
      try {
        assert.deepEqual(await call(), {}, rpc);
      } finally {
        sim.faults.unimplemented(rpc, false);
      }
    }
    const throwing: [string, () => Promise<unknown>][] = [
      ['DescribeCollection', () => c.describeCollection({ collection_name: 'docs' })],
      ['GetCollectionStatistics', () => c.getCollectionStatistics({ collection_name: 'docs' })],
      ['ShowPartitions', () => c.showPartitions({ collection_name: 'docs' })],
    ];
    for (const [rpc, call] of throwing) {
      sim.faults.unimplemented(rpc);
      try {
        const r = await outcome(call());
        assert.ok(!r.ok && r.error instanceof TypeError, rpc);
      } finally {
        sim.faults.unimplemented(rpc, false);
      }
    }
  });

  it('counts calls per method for benchmarks', async () => {
    sim.resetCounters();
    await c.showCollections({ type: 1 });
    await c.releaseCollection({ collection_name: 'docs' });
    assert.deepEqual({ ...sim.counters }, { ShowCollections: 1, ReleaseCollection: 1 });
    assert.equal(sim.mutatingCalls(), 1);
  });

  it('restarts as a real Milvus does: loaded collections load again from 0%', async () => {
    sim.state.createCollection('default', 'reloaded', { rows: 10 });
    sim.state.loadDirectly('default', 'reloaded');
    await sim.restart({ reload: true });
    const after = clientFor(sim);
    try {
      assert.equal((await after.getLoadState({ collection_name: 'reloaded' })).state, 'LoadStateLoading');
      assert.equal(Number((await after.getLoadingProgress({ collection_name: 'reloaded' })).progress), 0);
      clock += 1_000;
      assert.equal((await after.getLoadState({ collection_name: 'reloaded' })).state, 'LoadStateLoaded');
      // A load still Loading survives three restarts (queryCoord.collectionRecoverTimes), then querycoord releases it.
      sim.faults.stuckLoads({ collection: 'reloaded', atPercent: 10 });
      for (let i = 0; i < 3; i++) await sim.restart({ reload: true });
      assert.equal((await after.getLoadState({ collection_name: 'reloaded' })).state, 'LoadStateLoading');
      await sim.restart({ reload: true });
      assert.equal((await after.getLoadState({ collection_name: 'reloaded' })).state, 'LoadStateNotLoad');
    } finally {
      sim.faults.stuckLoads(false);
      // Let the other reloaded collections finish.
      clock += 1_000;
      await after.closeConnection();
    }
    // `c` saw the restarts; the next test wants a client that did not.
    await c.closeConnection();
    c = clientFor(sim);
    await c.connectPromise;
  });

  it('goes down and comes back on the same port with the same state', async (t) => {
    await sim.stop();
    const down = await outcome(c.getLoadState({ collection_name: 'stuck' }));
    assert.ok(!down.ok && down.error.code === 14);
    await sim.restart();
    const after = clientFor(sim);
    try {
      assert.equal((await after.getLoadState({ collection_name: 'stuck' })).state, 'LoadStateLoaded');
    } finally {
      await after.closeConnection();
    }
    // The client that saw Milvus down reconnects on gRPC's backoff (1 s, ×1.6, jittered, up to 120 s).
    const t0 = performance.now();
    await until('the client that saw Milvus down answers again', async () => (await outcome(c.getLoadState({ collection_name: 'stuck' }))).ok, 120_000, 100);
    t.diagnostic(`a client that saw Milvus down for a moment recovered ${(performance.now() - t0).toFixed(0)} ms after it came back`);
  });
});
