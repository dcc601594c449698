// The load state machine and the catalog, seen through the real Node SDK as
// the operator sees them: async loads on an injected clock, percentages,
// databases, partitions, segments, replicas, and the real refusals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startSimulator, type MilvusSimulator } from './index.ts';
import { clientFor, isSuccess, statusOf } from './sdk.ts';

describe('Milvus simulator: loading through the Node SDK', () => {
  let sim: MilvusSimulator;
  let clock = 1_700_000_000_000;
  let c: MilvusClient;
  before(async () => {
    sim = await startSimulator({ now: () => clock, loadMillis: 10_000 });
    c = clientFor(sim);
    await c.connectPromise;
  });
  after(async () => {
    await c.closeConnection();
    await sim.stop();
  });

  it('connects like a Milvus server and says it is the simulator', async () => {
    const version = await c.getVersion();
    assert.ok(isSuccess(version));
    assert.match(String(version.version), /^v2\.4\./);
    assert.equal((c.serverInfo as { build_tags?: string }).build_tags, 'milvus-load-operator simulator');
    assert.ok(isSuccess(await c.checkHealth()));
  });

  it('creates, indexes and fills a collection, then loads it asynchronously: Loading with progress, then Loaded', async () => {
    assert.ok(
      isSuccess(
        await c.createCollection({
          collection_name: 'books',
          fields: [
            { name: 'id', data_type: DataType.Int64, is_primary_key: true },
            { name: 'vec', data_type: DataType.FloatVector, dim: 16 },
            { name: 'title', data_type: DataType.VarChar, max_length: 128 },
          ],
        }),
      ),
    );
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, vec: Array(16).fill(0.1), title: `t${i}` }));
    assert.ok(isSuccess(await c.insert({ collection_name: 'books', data: rows })));
    const noIndex = await c.loadCollectionAsync({ collection_name: 'books' });
    assert.deepEqual([statusOf(noIndex)?.code, statusOf(noIndex)?.error_code, statusOf(noIndex)?.reason], [700, 'IndexNotExist', 'index not found[collection=books]']);
    assert.ok(isSuccess(await c.createIndex({ collection_name: 'books', field_name: 'vec', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } })));
    assert.equal((await c.getLoadState({ collection_name: 'books' })).state, 'LoadStateNotLoad');

    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'books' })));
    assert.equal((await c.getLoadState({ collection_name: 'books' })).state, 'LoadStateLoading');
    clock += 4_000;
    assert.equal(Number((await c.getLoadingProgress({ collection_name: 'books' })).progress), 40);
    const inMemory = await c.showCollections({ type: 1 });
    assert.deepEqual(
      inMemory.data.map((d) => [d.name, Number(d.loadedPercentage)]),
      [['books', 40]],
    );
    clock += 6_000;
    assert.equal((await c.getLoadState({ collection_name: 'books' })).state, 'LoadStateLoaded');
    assert.equal(Number((await c.showCollections({ type: 1 })).data[0]?.loadedPercentage), 100);
  });

  it('lists every collection with type All, without load percentages (as Milvus 2.4–2.6 does)', async () => {
    sim.state.createCollection('default', 'never_loaded');
    const all = await c.showCollections();
    assert.ok(isSuccess(all));
    assert.deepEqual(all.data.map((d) => d.name).sort(), ['books', 'never_loaded']);
    assert.deepEqual((all as unknown as { inMemory_percentages: unknown[] }).inMemory_percentages, []);
    assert.equal(all.data[0]?.loadedPercentage, undefined);
  });

  it('describes the schema with field types and dims, and counts rows', async () => {
    const d = await c.describeCollection({ collection_name: 'books' });
    assert.ok(isSuccess(d));
    assert.deepEqual(
      d.schema.fields.map((f) => [f.name, f.data_type, f.dim ?? f.max_length ?? null]),
      [
        ['id', 'Int64', null],
        ['vec', 'FloatVector', '16'],
        ['title', 'VarChar', '128'],
      ],
    );
    assert.equal(Number((await c.getCollectionStatistics({ collection_name: 'books' })).data.row_count), 100);
  });

  it('reports loaded segments with their mem_size', async () => {
    const r = await c.getQuerySegmentInfo({ collectionName: 'books' });
    assert.ok(isSuccess(r));
    const rows = r.infos.reduce((n, s) => n + Number(s.num_rows), 0);
    const mem = r.infos.reduce((n, s) => n + Number(s.mem_size), 0);
    assert.equal(rows, 100);
    // 8 (id) + 16 × 4 (vec) + 128 / 2 (title) bytes per row.
    assert.equal(mem, 100 * (8 + 64 + 64));
    assert.equal(sim.state.usedBytes, mem);
  });

  it('searches while loaded; fails with the real code when loading or released', async () => {
    const hit = await c.search({ collection_name: 'books', data: [Array(16).fill(0.5)], limit: 3 });
    assert.ok(isSuccess(hit));
    assert.equal(hit.results.length, 3);
    assert.ok(isSuccess(await c.releaseCollection({ collection_name: 'books' })));
    assert.equal(sim.state.usedBytes, 0);
    const miss = await c.search({ collection_name: 'books', data: [Array(16).fill(0.5)], limit: 3 });
    assert.equal(statusOf(miss)?.code, 101);
    assert.match(String(statusOf(miss)?.reason), /^collection not loaded\[collection=\d+\]$/);
    assert.equal(statusOf(await c.getLoadingProgress({ collection_name: 'books' }))?.code, 101);
    await c.loadCollectionAsync({ collection_name: 'books' });
    const loading = await c.search({ collection_name: 'books', data: [Array(16).fill(0.5)], limit: 3 });
    assert.equal(statusOf(loading)?.code, 103);
    clock += 10_000;
  });

  it('answers for what does not exist as Milvus does', async () => {
    assert.equal((await c.getLoadState({ collection_name: 'nope' })).state, 'LoadStateNotExist');
    const release = await c.releaseCollection({ collection_name: 'nope' });
    assert.deepEqual([statusOf(release)?.code, statusOf(release)?.error_code, statusOf(release)?.reason], [100, 'CollectionNotExists', 'collection not found[database=default][collection=nope]']);
    const noDb = await c.showCollections({ db_name: 'nodb' });
    assert.deepEqual([statusOf(noDb)?.code, statusOf(noDb)?.reason], [800, 'database not found[database=nodb]']);
  });

  it('keeps databases apart, by request field and by the client database header', async () => {
    assert.ok(isSuccess(await c.createDatabase({ db_name: 'other' })));
    assert.equal(statusOf(await c.createDatabase({ db_name: 'other' }))?.reason, 'database already exist: other');
    sim.state.createCollection('other', 'books', { rows: 10 });
    sim.state.createCollection('other', 'only_here', { rows: 10 });
    assert.deepEqual((await c.showCollections({ db_name: 'other' })).data.map((d) => d.name).sort(), ['books', 'only_here']);
    assert.ok(isSuccess(await c.loadCollectionAsync({ db_name: 'other', collection_name: 'only_here' })));
    assert.equal((await c.getLoadState({ collection_name: 'only_here' })).state, 'LoadStateNotExist');
    const inOther = clientFor(sim, { database: 'other' });
    try {
      assert.equal((await inOther.getLoadState({ collection_name: 'only_here' })).state, 'LoadStateLoading');
      assert.deepEqual((await inOther.showCollections({ type: 1 })).data.map((d) => d.name), ['only_here']);
    } finally {
      await inOther.closeConnection();
    }
    assert.deepEqual((await c.showCollections({ type: 1 })).data.map((d) => d.name), ['books']);
  });

  it('loads and releases single partitions', async () => {
    sim.state.createCollection('default', 'parted', { rows: 50, partitions: ['p1', 'p2'] });
    assert.ok(isSuccess(await c.loadPartitions({ collection_name: 'parted', partition_names: ['p1'] })));
    clock += 10_000;
    const parts = await c.showPartitions({ collection_name: 'parted', type: 1 });
    assert.deepEqual(
      parts.data.map((p) => [p.name, Number(p.loadedPercentage)]),
      [['p1', 100]],
    );
    assert.equal((await c.getLoadState({ collection_name: 'parted', partition_names: ['p2'] })).state, 'LoadStateNotLoad');
    const moreReplicas = await c.loadPartitions({ collection_name: 'parted', partition_names: ['p2'], replica_number: 2 });
    assert.deepEqual([statusOf(moreReplicas)?.code, statusOf(moreReplicas)?.reason], [1100, "can't change the replica number for loaded partitions: invalid parameter[expected=1][actual=2]"]);
    assert.ok(isSuccess(await c.loadPartitions({ collection_name: 'parted', partition_names: ['p2'] })));
    assert.ok(isSuccess(await c.releasePartitions({ collection_name: 'parted', partition_names: ['p1', 'p2'] })));
    assert.equal((await c.getLoadState({ collection_name: 'parted' })).state, 'LoadStateNotLoad');
    const missing = await c.loadPartitions({ collection_name: 'parted', partition_names: ['p9'] });
    assert.deepEqual([statusOf(missing)?.code, statusOf(missing)?.reason], [200, 'partition not found[partition=p9]']);
  });

  it('changes the replicas of a loaded collection by loading again (2.4.13+), within the query nodes', async () => {
    const tooMany = await c.loadCollectionAsync({ collection_name: 'books', replica_number: 2 });
    assert.equal(statusOf(tooMany)?.code, 65535);
    assert.equal(
      statusOf(tooMany)?.reason,
      'call query coordinator LoadCollection: failed to load collection: resource group node not enough[rg=__default_resource_group][currentNodeNum=1][expectedNodeNum=2]',
    );
    sim.state.setQueryNodes(2);
    const before = sim.state.usedBytes;
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'books', replica_number: 2 })));
    // One more replica of books: 100 rows × 136 bytes.
    assert.equal(sim.state.usedBytes - before, 13_600);
    const books = await c.describeCollection({ collection_name: 'books' });
    const replicas = await c.getReplicas({ collectionID: books.collectionID });
    assert.equal(replicas.replicas.length, 2);
    // Loading again without replica_number means 1 replica to querycoord: it shrinks back.
    assert.ok(isSuccess(await c.loadCollectionAsync({ collection_name: 'books' })));
    assert.equal((await c.getReplicas({ collectionID: books.collectionID })).replicas.length, 1);
    sim.state.setQueryNodes(1);
    const never = await c.describeCollection({ collection_name: 'never_loaded' });
    const none = await c.getReplicas({ collectionID: never.collectionID });
    assert.deepEqual([statusOf(none)?.code, statusOf(none)?.error_code, statusOf(none)?.reason], [400, 'MetaFailed', `failed to get replicas by collection: replica not found[replica=${never.collectionID}]`]);
  });

  it('refuses other load_fields for a loaded collection, and vectors without an index', async () => {
    const r = await c.loadCollectionAsync({ collection_name: 'books', load_fields: ['id', 'vec'] });
    assert.equal(
      statusOf(r)?.reason,
      "call query coordinator LoadCollection: can't change the load field list for loaded collection: invalid parameter[expected=[]][actual=[100 101]]",
    );
    sim.state.createCollection('default', 'two_vectors', {
      fields: [
        { name: 'id', type: 'Int64', primary: true },
        { name: 'a', type: 'FloatVector', dim: 4 },
        { name: 'b', type: 'BinaryVector', dim: 64 },
      ],
      indexed: false,
    });
    const collection = sim.state.collection('default', 'two_vectors');
    assert.ok(collection);
    sim.state.createIndex(collection, 'a');
    const missing = await c.loadCollectionAsync({ collection_name: 'two_vectors' });
    assert.deepEqual([statusOf(missing)?.code, statusOf(missing)?.reason], [65535, 'there is no vector index on field: [b], please create index firstly']);
  });

  it('refreshes a loaded collection, and refuses while it is loading', async () => {
    assert.ok(isSuccess(await c.refreshLoad({ collection_name: 'books' })));
    const refreshed = (await c.getLoadingProgress({ collection_name: 'books' })) as unknown as { refresh_progress: string };
    assert.equal(Number(refreshed.refresh_progress), 100);
    sim.state.createCollection('default', 'fresh', { rows: 5 });
    await c.loadCollectionAsync({ collection_name: 'fresh' });
    const r = await c.refreshLoad({ collection_name: 'fresh' });
    assert.match(String(statusOf(r)?.reason), /^call query coordinator LoadCollection: collection not fully loaded: collection not loaded\[collection=\d+\]$/);
  });

  it('cancels a load that takes longer than queryCoord.loadTimeoutSeconds: back to NotLoad', async () => {
    sim.faults.stuckLoads({ collection: 'fresh', atPercent: 20 });
    clock += 599_000;
    assert.equal((await c.getLoadState({ collection_name: 'fresh' })).state, 'LoadStateLoading');
    clock += 2_000;
    assert.equal((await c.getLoadState({ collection_name: 'fresh' })).state, 'LoadStateNotLoad');
    sim.faults.stuckLoads(false);
  });

  it('lets tests release a collection behind the operator back', async () => {
    sim.state.releaseBehindOperatorsBack('default', 'books');
    assert.equal((await c.getLoadState({ collection_name: 'books' })).state, 'LoadStateNotLoad');
  });
});
