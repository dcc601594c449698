// The Milvus behaviours the operator relies on, written once with the same
// Node SDK the operator uses, and run against every backend that is present
// (Milvus Lite, Milvus standalone, the simulator) so they cannot drift apart.
//
// SDK 3.0.6 quirks seen on real servers (the operator's adapter handles them):
// - Every reply carries `status` (or is itself a status) with both
//   `error_code` (a string) and `code` (a number); they can disagree: Lite
//   answers showCollections on a missing database with error_code "Success"
//   but code 1. Check both.
// - An RPC the server does not implement comes back as `{}`: the SDK's retry
//   interceptor turns gRPC UNIMPLEMENTED into an empty success. A reply
//   without a status is a failure.
// - showCollections of type All carries no load percentages on Milvus
//   2.3.x; type InMemory lists loaded and loading collections with them.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';

export interface ContractBackend {
  readonly name: string;
  start(): Promise<{ address: string; stop(): Promise<void> }>;
  readonly features: {
    /** Partitions can be created and loaded one by one. */
    readonly partitions: string | true;
    /** getQuerySegmentInfo lists loaded segments with their rows. */
    readonly segmentInfo: string | true;
    /** ...and a non-zero mem_size for them. */
    readonly segmentMemSize: string | true;
    /** Loading takes observable time (state Loading before Loaded). */
    readonly asyncLoad: string | true;
  };
}

interface Status {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

export function statusOf(reply: unknown): Status | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { status?: Status } & Status;
  if (r.status) return r.status;
  if ('error_code' in r || 'code' in r) return r;
  return undefined;
}

export function isSuccess(reply: unknown): boolean {
  const s = statusOf(reply);
  return s !== undefined && (s.code ?? 0) === 0 && (s.error_code === 'Success' || s.error_code === 0 || s.error_code === undefined);
}

function ok(reply: unknown, what: string): void {
  assert.ok(isSuccess(reply), `${what} failed: ${JSON.stringify(statusOf(reply) ?? reply)}`);
}

const DIM = 8;
const ROWS = 200;

async function createIndexedCollection(c: MilvusClient, name: string, db?: string): Promise<void> {
  const dbArg = db ? { db_name: db } : {};
  ok(
    await c.createCollection({
      ...dbArg,
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
        { name: 'title', data_type: DataType.VarChar, max_length: 64 },
      ],
    }),
    'createCollection',
  );
  ok(await c.insert({ ...dbArg, collection_name: name, data: Array.from({ length: ROWS }, (_, i) => ({ id: i, vec: Array(DIM).fill(i / ROWS), title: `t${i}` })) }), 'insert');
  ok(await c.flushSync({ ...dbArg, collection_names: [name] }), 'flush');
  ok(await c.createIndex({ ...dbArg, collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
}

async function waitForState(c: MilvusClient, name: string, want: string, db?: string, timeoutMs = 60_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.getLoadState({ collection_name: name, ...(db ? { db_name: db } : {}) });
    ok(r, 'getLoadState');
    if (seen[seen.length - 1] !== r.state) seen.push(String(r.state));
    if (String(r.state) === want) return seen;
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${want}; states seen: ${seen.join(' -> ')}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export function milvusContract(backend: ContractBackend): void {
  describe(`Milvus contract: ${backend.name}`, { timeout: 600_000 }, () => {
    let server: { address: string; stop(): Promise<void> };
    let c: MilvusClient;
    before(async () => {
      server = await backend.start();
      c = new MilvusClient({ address: server.address, timeout: 30_000 });
      await createIndexedCollection(c, 'contract_main');
    });
    after(async () => {
      await c?.closeConnection();
      await server?.stop();
    });

    it('loads asynchronously and reports state and progress', async (t) => {
      // Some servers (Milvus Lite) load a collection as soon as it is indexed; start from released.
      ok(await c.releaseCollection({ collection_name: 'contract_main' }), 'releaseCollection');
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
      ok(await c.loadCollectionAsync({ collection_name: 'contract_main' }), 'loadCollectionAsync');
      const seen = await waitForState(c, 'contract_main', 'LoadStateLoaded');
      const progress = await c.getLoadingProgress({ collection_name: 'contract_main' });
      ok(progress, 'getLoadingProgress');
      assert.equal(Number(progress.progress), 100);
      if (backend.features.asyncLoad === true) assert.ok(seen.includes('LoadStateLoading') || seen[0] === 'LoadStateLoaded', `states: ${seen.join(' -> ')}`);
      else t.diagnostic(`asynchronous loading not observable: ${backend.features.asyncLoad}`);
    });

    it('lists loaded collections with their load percentage', async () => {
      const r = await c.showCollections({ type: 1 });
      ok(r, 'showCollections(InMemory)');
      const entry = r.data.find((d) => d.name === 'contract_main');
      assert.ok(entry, 'a loaded collection is listed in memory');
      assert.equal(Number(entry.loadedPercentage), 100);
      const all = await c.showCollections();
      ok(all, 'showCollections(All)');
      assert.ok(all.data.some((d) => d.name === 'contract_main'));
    });

    it('describes the schema and counts rows (for memory estimates)', async () => {
      const d = await c.describeCollection({ collection_name: 'contract_main' });
      ok(d, 'describeCollection');
      const vec = d.schema.fields.find((f) => f.name === 'vec');
      assert.equal(vec?.data_type, 'FloatVector');
      assert.equal(Number(vec?.dim ?? vec?.type_params?.find((p) => p.key === 'dim')?.value), DIM);
      const s = await c.getCollectionStatistics({ collection_name: 'contract_main' });
      ok(s, 'getCollectionStatistics');
      assert.equal(Number(s.data.row_count), ROWS);
    });

    it('reports the memory of loaded segments', async (t) => {
      const r = await c.getQuerySegmentInfo({ collectionName: 'contract_main' });
      if (backend.features.segmentInfo !== true) {
        assert.equal(statusOf(r), undefined, 'an unimplemented RPC reaches the caller as a reply without status');
        t.skip(backend.features.segmentInfo);
        return;
      }
      ok(r, 'getQuerySegmentInfo');
      // It lists the segments the query nodes hold; right after a load they may still be arriving.
      let infos = r.infos;
      for (let i = 0; i < 60 && infos.reduce((sum, s) => sum + Number(s.num_rows), 0) < ROWS; i++) {
        await new Promise((res) => setTimeout(res, 250));
        infos = (await c.getQuerySegmentInfo({ collectionName: 'contract_main' })).infos;
      }
      assert.equal(infos.reduce((sum, s) => sum + Number(s.num_rows), 0), ROWS);
      const mem = infos.reduce((sum, s) => sum + Number(s.mem_size), 0);
      if (backend.features.segmentMemSize === true) assert.ok(mem > 0, 'loaded segments have a memory size');
      else t.diagnostic(`mem_size not checked: ${backend.features.segmentMemSize}`);
    });

    it('searches while loaded; after release the search fails and the state is NotLoad', async () => {
      const hit = await c.search({ collection_name: 'contract_main', data: [Array(DIM).fill(0.5)], limit: 3 });
      ok(hit, 'search');
      assert.equal(hit.results.length, 3);
      ok(await c.releaseCollection({ collection_name: 'contract_main' }), 'releaseCollection');
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
      const miss = await c.search({ collection_name: 'contract_main', data: [Array(DIM).fill(0.5)], limit: 3 });
      assert.ok(!isSuccess(miss), 'search on a released collection must fail');
      assert.match(String(statusOf(miss)?.reason), /load|releas/i);
    });

    it('answers for a collection that does not exist', async () => {
      const s = await c.getLoadState({ collection_name: 'contract_missing' });
      ok(s, 'getLoadState');
      assert.equal(s.state, 'LoadStateNotExist');
      const r = await c.releaseCollection({ collection_name: 'contract_missing' });
      assert.ok(!isSuccess(r));
      assert.equal(statusOf(r)?.code, 100, 'CollectionNotExists is code 100');
    });

    it('keeps databases apart', async () => {
      ok(await c.createDatabase({ db_name: 'contract_db' }), 'createDatabase');
      await createIndexedCollection(c, 'in_other_db', 'contract_db');
      const other = await c.showCollections({ db_name: 'contract_db' });
      ok(other, 'showCollections(db)');
      assert.deepEqual(other.data.map((d) => d.name), ['in_other_db']);
      const dflt = await c.showCollections();
      assert.ok(!dflt.data.some((d) => d.name === 'in_other_db'));
      ok(await c.loadCollectionAsync({ db_name: 'contract_db', collection_name: 'in_other_db' }), 'load in db');
      await waitForState(c, 'in_other_db', 'LoadStateLoaded', 'contract_db');
      const missing = await c.showCollections({ db_name: 'contract_no_such_db' });
      assert.ok(!isSuccess(missing), 'a missing database is an error (check code as well as error_code)');
    });

    it('loads and releases single partitions', async (t) => {
      if (backend.features.partitions !== true) {
        t.skip(backend.features.partitions);
        return;
      }
      ok(await c.createPartition({ collection_name: 'contract_main', partition_name: 'p1' }), 'createPartition');
      ok(await c.loadPartitions({ collection_name: 'contract_main', partition_names: ['p1'] }), 'loadPartitions');
      const deadline = Date.now() + 60_000;
      for (;;) {
        const parts = await c.showPartitions({ collection_name: 'contract_main', type: 1 });
        ok(parts, 'showPartitions');
        const p1 = parts.data.find((d) => d.name === 'p1');
        if (p1 && Number(p1.loadedPercentage) === 100) break;
        assert.ok(Date.now() < deadline, 'partition p1 did not load');
        await new Promise((res) => setTimeout(res, 100));
      }
      ok(await c.releasePartitions({ collection_name: 'contract_main', partition_names: ['p1'] }), 'releasePartitions');
    });
  });
}
