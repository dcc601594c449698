// The observation hook benchmarks use: every call reaches the listeners with
// its method, decoded request, database and arrival time, and a listener can
// neither change a reply nor keep being called after it is removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startSimulator, type CallListener, type MilvusSimulator } from './index.ts';
import { clientFor, isSuccess } from './sdk.ts';

type Seen = Parameters<CallListener>[0];

describe('Milvus simulator: onCall', () => {
  let sim: MilvusSimulator;
  let c: MilvusClient;
  const fromOption: Seen[] = [];
  before(async () => {
    sim = await startSimulator({ loadMillis: 0, onCall: (e) => fromOption.push(e) });
    sim.state.createDatabase('bench');
    sim.state.createCollection('bench', 'products');
    c = clientFor(sim);
    await c.connectPromise;
  });
  after(async () => {
    await c.closeConnection();
    await sim.stop();
  });

  it('reports method, request, database and time of each call, in order', async () => {
    const seen: Seen[] = [];
    const remove = sim.onCall((e) => seen.push(e));
    const t0 = Date.now();
    assert.ok(isSuccess(await c.loadCollectionAsync({ db_name: 'bench', collection_name: 'products' })));
    assert.ok(isSuccess(await c.showCollections({ db_name: 'bench' })));
    remove();
    await c.getLoadState({ db_name: 'bench', collection_name: 'products' });
    assert.deepEqual(
      seen.map((e) => [e.method, e.database, e.request.collection_name ?? null]),
      [
        ['LoadCollection', 'bench', 'products'],
        ['ShowCollections', 'bench', null],
      ],
    );
    assert.equal(seen[1]?.request.type, 'All');
    assert.ok(seen.every((e) => e.at >= t0 && e.at <= Date.now()));
    // The listener given at start sees everything, the removed one nothing after removal.
    assert.deepEqual(fromOption.slice(-3).map((e) => e.method), ['LoadCollection', 'ShowCollections', 'GetLoadState']);
  });

  it('a listener that throws changes no reply', async () => {
    const remove = sim.onCall(() => {
      throw new Error('observer bug');
    });
    try {
      const r = await c.getLoadState({ db_name: 'bench', collection_name: 'products' });
      assert.ok(isSuccess(r));
      assert.equal(r.state, 'LoadStateLoaded');
    } finally {
      remove();
    }
  });
});
