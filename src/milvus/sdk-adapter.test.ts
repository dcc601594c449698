// The SDK adapter over the Node SDK's client, with the client's RPC methods
// replaced by the replies real servers send (docs/test-environment.md,
// "Node SDK 3.0.6 behaviours"). The real-server behaviour itself is covered
// by test/milvus-contract; this checks the adapter's own logic: every reply's
// status is checked, an empty reply is UNIMPLEMENTED, and each listing shape
// becomes the same port result.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it, mock } from 'node:test';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MilvusError } from './errors.ts';
import type { MilvusPort } from './port.ts';
import { createSdkPort } from './sdk-adapter.ts';

const OK = { error_code: 'Success', code: 0, reason: '' };

type Stub = (req: Record<string, unknown>) => unknown;

const STUBBED = ['showCollections', 'listPartitions', 'getLoadingProgress', 'describeCollection', 'getCollectionStatistics', 'getQuerySegmentInfo', 'getReplicas', 'loadCollectionAsync', 'loadPartitions', 'releasePartitions'] as const;
let answers: Partial<Record<(typeof STUBBED)[number], Stub>> = {};
let seen = new Map<string, Record<string, unknown>[]>();
// Installed before the client is made: it binds showPartitions to listPartitions in its constructor.
for (const name of STUBBED) {
  mock.method(MilvusClient.prototype, name, async (req: Record<string, unknown>) => {
    seen.set(name, [...(seen.get(name) ?? []), req]);
    const f = answers[name];
    if (!f) throw new Error(`test: no answer for ${name}`);
    return f(req);
  });
}

/** Sets this test's replies; returns the requests each method saw. */
function stub(methods: Partial<Record<(typeof STUBBED)[number], Stub>>): Map<string, Record<string, unknown>[]> {
  answers = methods;
  return seen;
}

/** One client (making one costs about a second), to an address where nothing listens: only stubbed calls answer. */
const shared = createSdkPort({ address: '127.0.0.1:1', tls: false, timeoutMs: 2_000, token: 'root:Milvus' });
beforeEach(() => {
  answers = {};
  seen = new Map();
});
after(async () => {
  await shared.close();
  mock.restoreAll();
});

async function withPort(f: (p: MilvusPort) => Promise<void>): Promise<void> {
  await f(shared);
}

const rejectsWith = (reason: string, kind?: string) => (e: unknown) => e instanceof MilvusError && e.reason === reason && (kind === undefined || e.kind === kind);

describe('SDK adapter: listings', () => {
  it('standalone 2.3.5: ShowCollections(All) has no percentages, InMemory has them', async () => {
    stub({
      showCollections: (req) =>
        req.type === undefined
          ? { status: OK, data: [{ name: 'a' }, { name: 'b' }], collection_ids: ['11', '12'], inMemory_percentages: [] }
          : { status: OK, data: [{ name: 'a', loadedPercentage: '50' }], collection_ids: ['11'], inMemory_percentages: [50] },
    });
    await withPort(async (p) => {
      assert.deepEqual(await p.listCollections('default'), [{ name: 'a', id: '11' }, { name: 'b', id: '12' }]);
      assert.deepEqual(await p.listLoaded('default'), [{ name: 'a', id: '11', loadedPercent: 50 }]);
    });
  });

  it('Lite: ShowCollections(All) carries 0 or 100 for every collection', async () => {
    stub({ showCollections: () => ({ status: OK, data: [{ name: 'a', loadedPercentage: '100' }, { name: 'b', loadedPercentage: '0' }], collection_ids: ['0', '0'], inMemory_percentages: [100, 0] }) });
    await withPort(async (p) => {
      assert.deepEqual(await p.listCollections('default'), [{ name: 'a', id: '0', loadedPercent: 100 }, { name: 'b', id: '0', loadedPercent: 0 }]);
    });
  });

  it('a missing database (code 800) and Lite\'s "Success" with code 1 are failures', async () => {
    let n = 0;
    stub({ showCollections: () => (n++ === 0 ? { status: { error_code: 'UnexpectedError', code: 800, reason: 'database not found[database=nope]' } } : { status: { error_code: 'Success', code: 1, reason: '' } }) });
    await withPort(async (p) => {
      await assert.rejects(p.listCollections('nope'), rejectsWith('DatabaseNotFound', 'notFound'));
      await assert.rejects(p.listCollections('nope'), rejectsWith('MilvusError'));
    });
  });

  it('partitions: percentages from type All where given, else from the loaded listing', async () => {
    stub({
      listPartitions: (req) =>
        req.collection_name === 'lite'
          ? { status: OK, data: [{ name: '_default', loadedPercentage: '100' }] }
          : req.type === undefined
            ? { status: OK, data: [{ name: '_default', loadedPercentage: '' }, { name: 'p1', loadedPercentage: '' }] }
            : { status: OK, data: [{ name: 'p1', loadedPercentage: '100' }] },
    });
    await withPort(async (p) => {
      assert.deepEqual(await p.listPartitions('default', 'lite'), [{ name: '_default', loadedPercent: 100 }]);
      assert.deepEqual(await p.listPartitions('default', 'c'), [{ name: '_default', loadedPercent: 0 }, { name: 'p1', loadedPercent: 100 }]);
    });
  });

  it('progress, schema, rows', async () => {
    stub({
      getLoadingProgress: () => ({ status: OK, progress: '64' }),
      describeCollection: () => ({ status: OK, collectionID: '446', schema: { fields: [{ data_type: 'Int64' }, { data_type: 'FloatVector', dim: '4' }] } }),
      getCollectionStatistics: () => ({ status: OK, data: { row_count: '1000' } }),
    });
    await withPort(async (p) => {
      assert.equal(await p.loadProgress('default', 'c'), 64);
      assert.deepEqual(await p.describe('default', 'c'), { id: '446', bytesPerRow: 8 + 16 });
      assert.equal(await p.rowCount('default', 'c'), 1000);
    });
  });

  it('GetLoadingProgress of a released collection on standalone: CollectionNotLoaded', async () => {
    stub({ getLoadingProgress: () => ({ status: { error_code: 'UnexpectedError', code: 101, reason: 'collection not loaded[collection=446]' }, progress: '0' }) });
    await withPort(async (p) => {
      await assert.rejects(p.loadProgress('default', 'c'), rejectsWith('CollectionNotLoaded'));
    });
  });
});

describe('SDK adapter: what servers lack', () => {
  it('an empty reply is UNIMPLEMENTED (the SDK turns the gRPC error into {}): terminal', async () => {
    stub({ describeCollection: () => ({}) });
    await withPort(async (p) => {
      await assert.rejects(p.describe('default', 'c'), rejectsWith('Unimplemented', 'terminal'));
    });
  });

  it('segment memory: summed; UNIMPLEMENTED (Lite) or 0 (2.3) mean "not measured"', async () => {
    let n = 0;
    stub({
      getQuerySegmentInfo: () => [{ status: OK, infos: [{ mem_size: '100' }, { mem_size: '50' }] }, {}, { status: OK, infos: [{ mem_size: '0' }] }, { status: { code: 65535, error_code: 'UnexpectedError', reason: 'boom' } }][n++],
    });
    await withPort(async (p) => {
      assert.equal(await p.segmentMemory('default', 'c'), 150);
      assert.equal(await p.segmentMemory('default', 'c'), undefined);
      assert.equal(await p.segmentMemory('default', 'c'), undefined);
      await assert.rejects(p.segmentMemory('default', 'c'), rejectsWith('MilvusError'));
    });
  });

  it('replicas: counted with their groups; UNIMPLEMENTED, not loaded or gone mean "cannot say"', async () => {
    let n = 0;
    stub({
      getReplicas: () =>
        [
          { status: OK, replicas: [{ resource_group_name: 'rg-a' }, { resource_group_name: 'rg-b' }] },
          {},
          { status: { code: 400, error_code: 'MetaFailed', reason: 'failed to get replicas by collection: replica not found[replica=446]' } },
          { status: { code: 100, error_code: 'CollectionNotExists', reason: 'collection not found[collection=446]' } },
          { status: { code: 1800, error_code: 'UnexpectedError', reason: 'auth check failure' } },
        ][n++],
    });
    await withPort(async (p) => {
      assert.deepEqual(await p.replicas('default', '446'), { replicas: 2, resourceGroups: ['rg-a', 'rg-b'] });
      assert.equal(await p.replicas('default', '446'), undefined);
      assert.equal(await p.replicas('default', '446'), undefined);
      assert.equal(await p.replicas('default', '446'), undefined);
      await assert.rejects(p.replicas('default', '446'), rejectsWith('AuthenticationFailed'));
    });
  });
});

describe('SDK adapter: load and release', () => {
  it('a collection: the async load with every option the policy set', async () => {
    const seen = stub({ loadCollectionAsync: () => OK });
    await withPort(async (p) => {
      await p.load({ database: 'db1', collection: 'c', replicas: 2, resourceGroups: ['rg-a'], fields: ['id', 'v'], skipDynamicField: true, refresh: true });
      await p.load({ database: 'db1', collection: 'c', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
    });
    assert.deepEqual(seen.get('loadCollectionAsync'), [
      { db_name: 'db1', collection_name: 'c', replica_number: 2, resource_groups: ['rg-a'], refresh: true, load_fields: ['id', 'v'], skip_load_dynamic_field: true },
      { db_name: 'db1', collection_name: 'c', replica_number: 1 },
    ]);
  });

  it('partitions: LoadPartitions / ReleasePartitions with the names', async () => {
    const seen = stub({ loadPartitions: () => OK, releasePartitions: () => OK });
    await withPort(async (p) => {
      await p.load({ database: 'default', collection: 'c', partitions: ['p1'], replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
      await p.release({ database: 'default', collection: 'c', partitions: ['p1'] });
    });
    assert.deepEqual(seen.get('loadPartitions')?.[0]?.partition_names, ['p1']);
    assert.deepEqual(seen.get('releasePartitions')?.[0]?.partition_names, ['p1']);
  });

  it('a refusal in the returned status is thrown, classified (standalone: no index)', async () => {
    stub({ loadCollectionAsync: () => ({ error_code: 'IndexNotExist', code: 700, reason: 'index not found[collection=c]' }) });
    await withPort(async (p) => {
      await assert.rejects(p.load({ database: 'default', collection: 'c', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false }), rejectsWith('IndexNotFound', 'terminal'));
    });
  });

  it('a thrown gRPC error is classified (the real transport: nothing listens)', async () => {
    await assert.rejects(shared.release({ database: 'default', collection: 'c' }), rejectsWith('MilvusUnavailable', 'retryable'));
  });
});
