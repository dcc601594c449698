// Query-node memory: loads that do not fit stall, are cancelled by the load
// timeout and leave the real out-of-memory error behind, as Milvus does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startSimulator, type MilvusSimulator } from './index.ts';
import { clientFor, isSuccess, statusOf } from './sdk.ts';

const MiB = 1024 * 1024;

describe('Milvus simulator: query-node memory', () => {
  let sim: MilvusSimulator;
  let clock = 1_700_000_000_000;
  let c: MilvusClient;
  before(async () => {
    sim = await startSimulator({ now: () => clock, loadMillis: 1_000, capacityBytes: 100 * MiB });
    c = clientFor(sim);
    await c.connectPromise;
  });
  after(async () => {
    await c.closeConnection();
    await sim.stop();
  });

  it('loads what fits and frees it on release', async () => {
    sim.state.createCollection('default', 'small', { memBytes: 60 * MiB });
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'small' })));
    clock += 1_000;
    assert.equal((await c.getLoadState({ collection_name: 'small' })).state, 'LoadStateLoaded');
    assert.equal(sim.state.usedBytes, 60 * MiB);
  });

  it('accepts a load past capacity, stalls it at the share that fits, then the load timeout cancels it and the error is replayed', async () => {
    sim.state.createCollection('default', 'big', { memBytes: 80 * MiB });
    // Milvus accepts the load: the refusal happens on the query nodes, segment by segment.
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'big' })));
    clock += 60_000;
    assert.equal((await c.getLoadState({ collection_name: 'big' })).state, 'LoadStateLoading');
    assert.equal(Number((await c.getLoadingProgress({ collection_name: 'big' })).progress), 50);
    assert.equal(sim.state.usedBytes, 100 * MiB);

    clock += 600_000;
    const progress = await c.getLoadingProgress({ collection_name: 'big' });
    assert.deepEqual(
      [statusOf(progress)?.code, statusOf(progress)?.error_code, statusOf(progress)?.reason],
      [3, 'InsufficientMemoryToLoad', 'show collection failed: memory limit exceeded[predict(MB)=140][limit(MB)=100]'],
    );
    assert.equal(statusOf(await c.getLoadState({ collection_name: 'big' }))?.code, 3);
    const listed = await c.showCollections({ type: 1, collection_names: ['big'] });
    assert.deepEqual([statusOf(listed)?.code, statusOf(listed)?.reason], [65535, 'show collection failed: memory limit exceeded[predict(MB)=140][limit(MB)=100]']);
    assert.equal(sim.state.usedBytes, 60 * MiB, 'the cancelled load holds no memory');
  });

  it('forgets the failure on release, and loads once memory was freed', async () => {
    assert.ok(isSuccess(await c.releaseCollection({ collection_name: 'big' })));
    assert.equal((await c.getLoadState({ collection_name: 'big' })).state, 'LoadStateNotLoad');
    assert.ok(isSuccess(await c.releaseCollection({ collection_name: 'small' })));
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'big' })));
    clock += 1_000;
    assert.equal((await c.getLoadState({ collection_name: 'big' })).state, 'LoadStateLoaded');
    assert.ok(isSuccess(await c.releaseCollection({ collection_name: 'big' })));
  });

  it('can replay the segment loader text instead (the one users usually see)', async () => {
    sim.state.config.oomError = 'segment-size';
    sim.state.createCollection('default', 'huge', { memBytes: 300 * MiB });
    await c.loadCollectionAsync({ collection_name: 'huge' });
    clock += 700_000;
    const r = await c.getLoadingProgress({ collection_name: 'huge' });
    assert.equal(statusOf(r)?.code, 65535);
    assert.match(String(statusOf(r)?.reason), /^show collection failed: load segment failed, OOM if load, maxSegmentSize = 300\.00 MB, {2}memUsage = 0\.00 MB, predictMemUsage = 300\.00 MB, totalMem = 100\.00 MB thresholdFactor = 0\.900000$/);
    sim.state.config.oomError = 'memory-limit';
  });

  it('counts only the loaded fields and the replicas', async () => {
    sim.state.setCapacityBytes(Number.POSITIVE_INFINITY);
    sim.state.createCollection('default', 'wide', {
      rows: 1_000,
      fields: [
        { name: 'id', type: 'Int64', primary: true },
        { name: 'vec', type: 'FloatVector', dim: 128 },
        { name: 'body', type: 'VarChar', maxLength: 4_096 },
      ],
    });
    sim.state.setQueryNodes(2);
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'wide', load_fields: ['id', 'vec'], replica_number: 2 })));
    assert.equal(sim.state.usedBytes, 2 * 1_000 * (8 + 512));
    clock += 1_000;
    const segments = await c.getQuerySegmentInfo({ collectionName: 'wide' });
    assert.equal(
      segments.infos.reduce((n, s) => n + Number(s.mem_size), 0),
      1_000 * (8 + 512),
      'mem_size is one copy of each segment',
    );
    assert.deepEqual(segments.infos[0]?.nodeIds, ['1', '2']);
  });
});
