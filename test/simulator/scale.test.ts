// Scale: 10,000 collections, listed in one RPC. Figures are printed as
// diagnostics (measurements on a shared machine, not pass/fail bounds; the
// benchmarks own the targets).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startSimulator, type MilvusSimulator } from './index.ts';
import { clientFor, isSuccess } from './sdk.ts';

const N = 10_000;

describe('Milvus simulator: 10,000 collections', () => {
  let sim: MilvusSimulator;
  let c: MilvusClient;
  before(async () => {
    sim = await startSimulator({ loadMillis: 0 });
    c = clientFor(sim, { timeout: 30_000 });
    await c.connectPromise;
  });
  after(async () => {
    await c.closeConnection();
    await sim.stop();
  });

  it('creates them fast and lists them with one ShowCollections', async (t) => {
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    sim.state.createCollections('scale', N, { prefix: 'logs_', rows: 1_000, dim: 128 });
    const created = performance.now() - t0;
    const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    for (let i = 0; i < N; i += 2) sim.state.loadDirectly('scale', `logs_${i}`);

    sim.resetCounters();
    const timings: Record<string, number[]> = { All: [], InMemory: [] };
    for (let round = 0; round < 3; round++) {
      let t1 = performance.now();
      const all = await c.showCollections({ db_name: 'scale' });
      timings.All?.push(performance.now() - t1);
      assert.ok(isSuccess(all));
      assert.equal(all.data.length, N);
      t1 = performance.now();
      const inMemory = await c.showCollections({ db_name: 'scale', type: 1 });
      timings.InMemory?.push(performance.now() - t1);
      assert.equal(inMemory.data.length, N / 2);
      assert.ok(inMemory.data.every((d) => Number(d.loadedPercentage) === 100));
    }
    assert.deepEqual({ ...sim.counters }, { ShowCollections: 6 });
    const fmt = (xs: number[] | undefined): string => (xs ?? []).map((x) => x.toFixed(0)).join('/');
    t.diagnostic(`created ${N} collections in ${created.toFixed(0)} ms (+${heapMiB.toFixed(0)} MiB heap); ShowCollections through the SDK: All ${fmt(timings.All)} ms, InMemory (5,000 loaded) ${fmt(timings.InMemory)} ms`);
  });

  it('answers for one collection among 10,000 by name, one RPC each', async (t) => {
    sim.resetCounters();
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      const n = i * 97;
      const r = await c.getLoadState({ db_name: 'scale', collection_name: `logs_${n}` });
      assert.ok(isSuccess(r));
      // Every even one was loaded above.
      assert.equal(r.state, n % 2 === 0 ? 'LoadStateLoaded' : 'LoadStateNotLoad', `logs_${n}`);
    }
    assert.deepEqual({ ...sim.counters }, { GetLoadState: 100 });
    // How long it takes is a measurement, not a bound (bench/ owns figures).
    t.diagnostic(`100 GetLoadState calls: ${(performance.now() - t0).toFixed(0)} ms`);
  });
});
