// The Milvus behaviours the operator relies on, written once with the same
// Node SDK the operator uses, and run against every backend that is present
// (Milvus Lite, Milvus standalone, the simulator) so they cannot drift apart.
// A backend declares what it lacks; the test is then skipped with that reason.
//
// Node SDK 3.0.6 quirks seen on the real servers (the operator's adapter must
// handle them; `node test/env/milvus-probe.ts lite|standalone` shows them all):
// - Replies carry `status` (or are a status) with `error_code` (the enum's
//   name, a string) and `code` (a number). They can disagree: Lite answers
//   ShowCollections for a missing database with error_code "Success" but
//   code 1. Where the enum has no name for a value, error_code is a number
//   (Lite: 101 for "not loaded", 6 for a missing database). Check both.
// - gRPC UNIMPLEMENTED arrives as an empty reply `{}`: the SDK's retry
//   interceptor turns it into OK with an empty message. A reply without a
//   status is a failure. Methods that post-process the reply (showCollections)
//   throw a TypeError on it instead.
// - `new MilvusClient()` sends Connect at once; if that fails (server still
//   starting or down) the rejection is unhandled unless `connectPromise` is
//   caught. The telemetry heartbeat fails the same way: turn it off.
// - `loadCollection` (the waiting variant) throws on a refusal; the async
//   variant returns the status. `getReplicas` needs the collection ID
//   (describeCollection), not the name, and throws without it.
// - ShowCollections(type All) carries load percentages on Lite only (2.3.5
//   sends none); type InMemory carries them on both. After a release Lite
//   still lists the collection in InMemory, at 0%; standalone omits it.
// - GetLoadingProgress of a released collection: standalone answers code 101
//   "collection not loaded", Lite 0%. GetLoadState of a collection in a
//   missing database: standalone LoadStateNotExist, Lite an error (code 6).
// - Lite reports collectionID "0" for every collection: key by name.
// - Lite accepts and ignores replica_number, resource_groups, load_fields and
//   refresh. 2.3.5 ignores load_fields (2.4+) and refuses a new replica number
//   for a loaded collection (2.4.13+ applies it).
// - The SDK pings every 10 s even when idle; Lite's Python gRPC server answers
//   GOAWAY "too many pings" and grpc-js logs "rejected by server because of
//   excess pings" to stderr, then pings less often. Harmless noise.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';

/** `true`: the backend has it and the test runs. A string: why it does not (the skip reason). */
export type Feature = true | string;

export interface ContractServer {
  /** host:port, as the SDK's `address` takes it. */
  readonly address: string;
  stop(): Promise<void>;
  /** Stop and start again on the same address and data (for the restart test). */
  restart?(): Promise<void>;
}

export interface ContractFeatures {
  /** Partitions can be loaded and released one by one. */
  readonly partitions: Feature;
  /** GetQuerySegmentInfo lists loaded segments with their rows. */
  readonly segmentInfo: Feature;
  /** ...and a non-zero mem_size for them. */
  readonly segmentMemSize: Feature;
  /** Loading takes observable time (state Loading before Loaded). */
  readonly asyncLoad: Feature;
  /** Databases keep collections apart. Default true. */
  readonly databases?: Feature;
  /** GetReplicas lists a loaded collection's replicas; a load asking more replicas than there are query nodes is refused. Default true. */
  readonly replicas?: Feature;
  /** ListResourceGroups has the default group; a load naming a missing group is refused. Default true. */
  readonly resourceGroups?: Feature;
  /** Loading a collection that has no index is refused. Default true. */
  readonly loadRequiresIndex?: Feature;
  /** What a restart does to a loaded collection: it comes back `Loaded` (Milvus reloads it) or `NotLoad`. A string without either word is a skip reason. Default: skipped. */
  readonly afterRestart?: 'Loaded' | 'NotLoad' | (string & {});
}

export interface ContractBackend {
  readonly name: string;
  start(): Promise<ContractServer>;
  readonly features: ContractFeatures;
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

function refused(reply: unknown, what: string, reason?: RegExp): void {
  assert.ok(!isSuccess(reply), `${what} should be refused, but succeeded`);
  if (reason) assert.match(String(statusOf(reply)?.reason), reason, `${what}: reason`);
}

const DIM = 8;
const ROWS = 200;
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function clientFor(address: string): MilvusClient {
  // A private subchannel pool and short reconnect backoff, so the client comes back soon after a restart.
  const c = new MilvusClient({
    address,
    timeout: 30_000,
    telemetry: { enabled: false },
    logLevel: 'error',
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1000 },
  });
  c.connectPromise.catch(() => undefined);
  return c;
}

async function createCollection(c: MilvusClient, name: string, opts: { db?: string; rows?: number; index?: boolean } = {}): Promise<void> {
  const dbArg = opts.db ? { db_name: opts.db } : {};
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
    `createCollection ${name}`,
  );
  const rows = opts.rows ?? 0;
  if (rows > 0) {
    ok(await c.insert({ ...dbArg, collection_name: name, data: Array.from({ length: rows }, (_, i) => ({ id: i, vec: Array(DIM).fill(i / rows), title: `t${i}` })) }), 'insert');
    ok(await c.flushSync({ ...dbArg, collection_names: [name] }), 'flush');
  }
  if (opts.index ?? true) ok(await c.createIndex({ ...dbArg, collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
}

async function waitForState(c: MilvusClient, name: string, want: string, db?: string, timeoutMs = 120_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.getLoadState({ collection_name: name, ...(db ? { db_name: db } : {}) });
    ok(r, 'getLoadState');
    if (seen[seen.length - 1] !== r.state) seen.push(String(r.state));
    if (String(r.state) === want) return seen;
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${want}; states seen: ${seen.join(' -> ')}`);
    await sleep(50);
  }
}

/** A skip with the backend's reason; `undefined` (not declared) counts as having the feature. */
function lacks(t: { skip(message?: string): void }, feature: Feature | undefined): boolean {
  if (feature === undefined || feature === true) return false;
  t.skip(feature);
  return true;
}

export function milvusContract(backend: ContractBackend): void {
  const f = backend.features;
  describe(`Milvus contract: ${backend.name}`, { timeout: 600_000 }, () => {
    let server: ContractServer;
    let c: MilvusClient;
    before(async () => {
      server = await backend.start();
      c = clientFor(server.address);
      await createCollection(c, 'contract_main', { rows: ROWS });
    });
    after(async () => {
      await c?.closeConnection();
      await server?.stop();
    });

    it('loads asynchronously and reports state and progress', async (t) => {
      // Milvus Lite loads a collection as soon as it is indexed; start from released.
      ok(await c.releaseCollection({ collection_name: 'contract_main' }), 'releaseCollection');
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
      ok(await c.loadCollectionAsync({ collection_name: 'contract_main' }), 'loadCollectionAsync');
      const progress: number[] = [];
      const seen: string[] = [];
      for (const deadline = Date.now() + 120_000; ; ) {
        const s = await c.getLoadState({ collection_name: 'contract_main' });
        ok(s, 'getLoadState');
        if (seen[seen.length - 1] !== s.state) seen.push(String(s.state));
        const p = await c.getLoadingProgress({ collection_name: 'contract_main' });
        ok(p, 'getLoadingProgress');
        progress.push(Number(p.progress));
        if (String(s.state) === 'LoadStateLoaded' && Number(p.progress) === 100) break;
        assert.ok(Date.now() < deadline, `not loaded in time; states ${seen.join(' -> ')}`);
        await sleep(50);
      }
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress never goes back',
      );
      assert.ok(
        seen.every((s) => s === 'LoadStateLoading' || s === 'LoadStateLoaded'),
        `states: ${seen.join(' -> ')}`,
      );
      t.diagnostic(`states ${seen.join(' -> ')}, progress ${[...new Set(progress)].join(', ')}`);
      if (f.asyncLoad !== true) t.diagnostic(`loading is not observably asynchronous: ${f.asyncLoad}`);
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
      const vec = d.schema.fields.find((x) => x.name === 'vec');
      assert.equal(vec?.data_type, 'FloatVector');
      assert.equal(Number(vec?.dim ?? vec?.type_params?.find((p) => p.key === 'dim')?.value), DIM);
      const title = d.schema.fields.find((x) => x.name === 'title');
      assert.equal(Number(title?.max_length ?? title?.type_params?.find((p) => p.key === 'max_length')?.value), 64);
      const s = await c.getCollectionStatistics({ collection_name: 'contract_main' });
      ok(s, 'getCollectionStatistics');
      assert.equal(Number(s.data.row_count), ROWS);
    });

    it('reports the memory of loaded segments', async (t) => {
      const r = await c.getQuerySegmentInfo({ collectionName: 'contract_main' });
      if (f.segmentInfo !== true) {
        assert.equal(statusOf(r), undefined, 'an unimplemented RPC reaches the caller as a reply without status');
        t.skip(f.segmentInfo);
        return;
      }
      ok(r, 'getQuerySegmentInfo');
      // It lists the segments the query nodes hold; right after a load they may still be arriving.
      let infos = r.infos;
      for (let i = 0; i < 60 && infos.reduce((sum, s) => sum + Number(s.num_rows), 0) < ROWS; i++) {
        await sleep(250);
        infos = (await c.getQuerySegmentInfo({ collectionName: 'contract_main' })).infos;
      }
      assert.equal(infos.reduce((sum, s) => sum + Number(s.num_rows), 0), ROWS);
      const mem = infos.reduce((sum, s) => sum + Number(s.mem_size), 0);
      if (f.segmentMemSize === true) assert.ok(mem > 0, 'loaded segments have a memory size');
      else t.diagnostic(`mem_size not checked: ${f.segmentMemSize}`);
    });

    it('refreshes a loaded collection and keeps it loaded', async () => {
      ok(await c.refreshLoad({ collection_name: 'contract_main' }), 'refreshLoad');
      await waitForState(c, 'contract_main', 'LoadStateLoaded');
    });

    it('lists the replicas of a loaded collection', async (t) => {
      const id = (await c.describeCollection({ collection_name: 'contract_main' })).collectionID;
      const r = await c.getReplicas({ collectionID: id });
      if (lacks(t, f.replicas)) {
        assert.ok(!isSuccess(r), 'a backend without replicas does not claim any');
        return;
      }
      ok(r, 'getReplicas');
      assert.ok(r.replicas.length >= 1, 'a loaded collection has a replica');
      for (const replica of r.replicas) assert.ok(replica.resource_group_name, 'each replica names its resource group');
    });

    it('refuses a load asking for more replicas than there are query nodes', async (t) => {
      if (lacks(t, f.replicas)) return;
      await createCollection(c, 'contract_replicas');
      refused(await c.loadCollectionAsync({ collection_name: 'contract_replicas', replica_number: 1000 }), 'load with 1000 replicas');
      await waitForState(c, 'contract_replicas', 'LoadStateNotLoad', undefined, 5000);
    });

    it('has the default resource group and refuses a load naming a missing one', async (t) => {
      if (lacks(t, f.resourceGroups)) {
        assert.equal(statusOf(await c.listResourceGroups()), undefined, 'an unimplemented RPC reaches the caller as a reply without status');
        return;
      }
      const groups = await c.listResourceGroups();
      ok(groups, 'listResourceGroups');
      assert.ok(groups.resource_groups.includes('__default_resource_group'), `groups: ${groups.resource_groups.join(', ')}`);
      await createCollection(c, 'contract_rg');
      refused(await c.loadCollectionAsync({ collection_name: 'contract_rg', resource_groups: ['contract_no_such_group'] }), 'load in a missing resource group', /resource group/i);
      await waitForState(c, 'contract_rg', 'LoadStateNotLoad', undefined, 5000);
    });

    it('refuses to load a collection without an index', async (t) => {
      if (lacks(t, f.loadRequiresIndex)) return;
      await createCollection(c, 'contract_no_index', { index: false });
      refused(await c.loadCollectionAsync({ collection_name: 'contract_no_index' }), 'load without an index', /index/i);
      await waitForState(c, 'contract_no_index', 'LoadStateNotLoad', undefined, 5000);
    });

    it('searches while loaded; after release the search fails and the state is NotLoad', async () => {
      const hit = await c.search({ collection_name: 'contract_main', data: [Array(DIM).fill(0.5)], limit: 3 });
      ok(hit, 'search');
      assert.equal(hit.results.length, 3);
      ok(await c.releaseCollection({ collection_name: 'contract_main' }), 'releaseCollection');
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
      const miss = await c.search({ collection_name: 'contract_main', data: [Array(DIM).fill(0.5)], limit: 3 });
      refused(miss, 'search on a released collection', /load|releas/i);
      // Lite still lists it in memory, at 0%; Milvus omits it.
      const mem = await c.showCollections({ type: 1 });
      ok(mem, 'showCollections(InMemory)');
      const entry = mem.data.find((d) => d.name === 'contract_main');
      assert.ok(entry === undefined || Number(entry.loadedPercentage) === 0, `released but listed as ${String(entry?.loadedPercentage)}%`);
    });

    it('answers for a collection that does not exist', async () => {
      const s = await c.getLoadState({ collection_name: 'contract_missing' });
      ok(s, 'getLoadState');
      assert.equal(s.state, 'LoadStateNotExist');
      const r = await c.releaseCollection({ collection_name: 'contract_missing' });
      refused(r, 'release of a missing collection');
      assert.equal(statusOf(r)?.code, 100, 'CollectionNotExists is code 100');
      const l = await c.loadCollectionAsync({ collection_name: 'contract_missing' });
      refused(l, 'load of a missing collection');
      assert.equal(statusOf(l)?.code, 100, 'CollectionNotExists is code 100');
    });

    it('keeps databases apart', async (t) => {
      if (lacks(t, f.databases)) return;
      ok(await c.createDatabase({ db_name: 'contract_db' }), 'createDatabase');
      const dbs = await c.listDatabases();
      ok(dbs, 'listDatabases');
      assert.ok(dbs.db_names.includes('contract_db') && dbs.db_names.includes('default'), `databases: ${dbs.db_names.join(', ')}`);
      await createCollection(c, 'in_other_db', { db: 'contract_db' });
      const other = await c.showCollections({ db_name: 'contract_db' });
      ok(other, 'showCollections(db)');
      assert.deepEqual(
        other.data.map((d) => d.name),
        ['in_other_db'],
      );
      const dflt = await c.showCollections();
      assert.ok(!dflt.data.some((d) => d.name === 'in_other_db'));
      ok(await c.loadCollectionAsync({ db_name: 'contract_db', collection_name: 'in_other_db' }), 'load in db');
      await waitForState(c, 'in_other_db', 'LoadStateLoaded', 'contract_db');
      const inDefault = await c.getLoadState({ collection_name: 'in_other_db' });
      ok(inDefault, 'getLoadState in default');
      assert.equal(inDefault.state, 'LoadStateNotExist', 'the name is not visible from the default database');
      ok(await c.releaseCollection({ db_name: 'contract_db', collection_name: 'in_other_db' }), 'release in db');
      await waitForState(c, 'in_other_db', 'LoadStateNotLoad', 'contract_db');
      const missing = await c.showCollections({ db_name: 'contract_no_such_db' });
      refused(missing, 'showCollections of a missing database (check code as well as error_code)');
    });

    it('loads and releases single partitions', async (t) => {
      if (lacks(t, f.partitions)) return;
      ok(await c.createPartition({ collection_name: 'contract_main', partition_name: 'p1' }), 'createPartition');
      ok(await c.loadPartitions({ collection_name: 'contract_main', partition_names: ['p1'] }), 'loadPartitions');
      for (const deadline = Date.now() + 120_000; ; ) {
        const parts = await c.showPartitions({ collection_name: 'contract_main', type: 1 });
        ok(parts, 'showPartitions');
        const p1 = parts.data.find((d) => d.name === 'p1');
        if (p1 && Number(p1.loadedPercentage) === 100) break;
        assert.ok(Date.now() < deadline, 'partition p1 did not load');
        await sleep(100);
      }
      const state = await c.getLoadState({ collection_name: 'contract_main', partition_names: ['p1'] });
      ok(state, 'getLoadState(partition)');
      assert.equal(state.state, 'LoadStateLoaded');
      ok(await c.releasePartitions({ collection_name: 'contract_main', partition_names: ['p1'] }), 'releasePartitions');
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
    });

    it('keeps collections across a restart; loads come back as declared', async (t) => {
      const expected = f.afterRestart;
      if (expected === undefined) {
        t.skip(`${backend.name} does not declare what a restart does to loads`);
        return;
      }
      if (expected !== 'Loaded' && expected !== 'NotLoad') {
        t.skip(expected);
        return;
      }
      if (server.restart === undefined) {
        t.skip(`${backend.name} cannot be restarted by this test`);
        return;
      }
      ok(await c.loadCollectionAsync({ collection_name: 'contract_main' }), 'loadCollectionAsync');
      await waitForState(c, 'contract_main', 'LoadStateLoaded');
      await server.restart();
      // The SDK reconnects on gRPC's backoff; a new client answers at once.
      await c.closeConnection();
      c = clientFor(server.address);
      const names = await c.showCollections();
      ok(names, 'showCollections after restart');
      assert.ok(names.data.some((d) => d.name === 'contract_main'), 'the collection survives a restart');
      if (expected === 'Loaded') {
        // Milvus reloads what was loaded, in the background: Loading first (tens of seconds after a crash), then Loaded.
        const seen = await waitForState(c, 'contract_main', 'LoadStateLoaded', undefined, 180_000);
        t.diagnostic(`after restart: ${seen.join(' -> ')}`);
        return;
      }
      // The load is forgotten: the collection is silently unsearchable until someone loads it again.
      for (let i = 0; i < 3; i++) {
        const s = await c.getLoadState({ collection_name: 'contract_main' });
        ok(s, 'getLoadState after restart');
        assert.equal(s.state, 'LoadStateNotLoad');
        await sleep(500);
      }
    });
  });
}
