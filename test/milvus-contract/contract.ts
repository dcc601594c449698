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
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { classifyStatus } from '../../src/milvus/errors.ts';
import { clientFor, createCollection, DIM, isSuccess, ok, outcome, refused, ROWS, sleep, statusOf, waitForState, type Credentials } from './sdk.ts';

/** `true`: the backend has it and the test runs. A string: why it does not (the skip reason). */
export type Feature = true | string;

export interface ContractServer {
  /** host:port, as the SDK's `address` takes it. */
  readonly address: string;
  /** The root user, where the server requires authentication (`features.auth`). */
  readonly credentials?: Credentials;
  stop(): Promise<void>;
  /** Stop the server, keeping address and data (for the dead-server and restart tests). */
  readonly down?: () => Promise<void>;
  /** Start it again after `down` on the same address and data. */
  readonly up?: () => Promise<void>;
  /** Set the number of query nodes (the simulator only; real servers here have one). */
  readonly setQueryNodes?: (n: number) => void;
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

  // Where the backends differ, each declares what it does; the suite asserts exactly that.
  /** ShowCollections type All carries load percentages (`with`), or only names (`without`: the operator must ask InMemory too). */
  readonly listingPercentages: 'with' | 'without';
  /** GetLoadingProgress of a released collection: refused with code 101 "collection not loaded" (`notLoaded101`), or 0% (`zero`). */
  readonly progressAfterRelease: 'notLoaded101' | 'zero';
  /** GetLoadState of a collection in a database that does not exist: LoadStateNotExist, or an error status. */
  readonly loadStateInMissingDatabase: 'NotExist' | 'error';
  /** LoadCollection with another replica number for a loaded collection: `applied` (2.4.13+), `refused` (ReconfigureRefused), or a skip reason. */
  readonly replicaChange: 'applied' | 'refused' | (string & {});
  /** LoadCollection with other `load_fields` for a loaded collection: `refused` (ReconfigureRefused, 2.4+), or `ignored` (the option is not known). */
  readonly loadFieldsChange: 'refused' | 'ignored';
  /** A refresh load (`refresh: true`) of a collection that is not loaded: `refused` (it stays NotLoad), or `loads` (accepted as a plain load). */
  readonly refreshUnloaded: 'refused' | 'loads';
  /** GetReplicas of a collection that is not loaded: an error status (`error`), an empty list (`empty`), or a skip reason. */
  readonly replicasUnloaded: 'error' | 'empty' | (string & {});
  /** Calls without or with wrong credentials fail with gRPC UNAUTHENTICATED (16). The server then needs `credentials`. */
  readonly auth: Feature;
  /** SDK methods (keys of UNIMPLEMENTED_CALLS) this backend answers with gRPC UNIMPLEMENTED. */
  readonly unimplemented: readonly UnimplementedCall[];
}

/** Calls that some backend does not implement, as the contract makes them. */
const UNIMPLEMENTED_CALLS = {
  GetQuerySegmentInfo: (c: MilvusClient) => c.getQuerySegmentInfo({ collectionName: 'contract_main' }),
  GetPersistentSegmentInfo: (c: MilvusClient) => c.getPersistentSegmentInfo({ collectionName: 'contract_main' }),
  GetReplicas: (c: MilvusClient) => c.getReplicas({ collectionID: '1' }),
  ListResourceGroups: (c: MilvusClient) => c.listResourceGroups(),
  LoadPartitions: (c: MilvusClient) => c.loadPartitions({ collection_name: 'contract_main', partition_names: ['_default'] }),
  DescribeDatabase: (c: MilvusClient) => c.describeDatabase({ db_name: 'default' }),
} as const;

export type UnimplementedCall = keyof typeof UNIMPLEMENTED_CALLS;

export interface ContractBackend {
  readonly name: string;
  start(): Promise<ContractServer>;
  readonly features: ContractFeatures;
}

/** How the operator classifies a refusal (src/milvus/errors.ts): what it tells the user rests on it. */
function reasonOf(s: ReturnType<typeof statusOf>): string {
  return classifyStatus('load', s ?? {}).reason;
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
    /** What the first load looked like, for the asynchronous-load check. */
    let loadTrace: { seen: string[]; progress: number[] } | undefined;
    before(async () => {
      server = await backend.start();
      c = clientFor(server.address, server.credentials);
      await createCollection(c, 'contract_main', { rows: ROWS });
    });
    after(async () => {
      await c?.closeConnection();
      await server?.stop();
    });

    it('loads on request and reports state and progress; progress never goes back', async (t) => {
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
      loadTrace = { seen, progress };
    });

    it('loads asynchronously: the load returns while the collection is still Loading', (t) => {
      if (lacks(t, f.asyncLoad)) return;
      assert.ok(loadTrace, 'the load test above did not run');
      assert.ok(
        loadTrace.seen.includes('LoadStateLoading') || loadTrace.progress.some((p) => p < 100),
        `declared asynchronous, but the load was complete at the first look: states ${loadTrace.seen.join(' -> ')}, progress ${loadTrace.progress.join(', ')}`,
      );
    });

    it('lists loaded collections with their load percentage', async () => {
      const r = await c.showCollections({ type: 1 });
      ok(r, 'showCollections(InMemory)');
      const entry = r.data.find((d) => d.name === 'contract_main');
      assert.ok(entry, 'a loaded collection is listed in memory');
      assert.equal(Number(entry.loadedPercentage), 100);
      const all = await c.showCollections();
      ok(all, 'showCollections(All)');
      const listed = all.data.find((d) => d.name === 'contract_main');
      assert.ok(listed, 'the collection is listed');
      // The operator's observation path depends on it: without percentages it asks InMemory as well.
      if (f.listingPercentages === 'with') assert.equal(Number(listed.loadedPercentage), 100, 'ShowCollections(All) carries the load percentage');
      else assert.ok([undefined, ''].includes(listed.loadedPercentage), `ShowCollections(All) carries a percentage: ${JSON.stringify(listed)}`);
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
      if (lacks(t, f.segmentInfo)) return;
      const r = await c.getQuerySegmentInfo({ collectionName: 'contract_main' });
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
      else assert.equal(mem, 0, `declared without mem_size (${f.segmentMemSize}), but it reports ${mem}`);
    });

    it('refreshes a loaded collection and keeps it loaded', async () => {
      ok(await c.refreshLoad({ collection_name: 'contract_main' }), 'refreshLoad');
      await waitForState(c, 'contract_main', 'LoadStateLoaded');
    });

    it('lists the replicas of a loaded collection', async (t) => {
      if (lacks(t, f.replicas)) return;
      const id = (await c.describeCollection({ collection_name: 'contract_main' })).collectionID;
      const r = await c.getReplicas({ collectionID: id });
      ok(r, 'getReplicas');
      assert.ok(r.replicas.length >= 1, 'a loaded collection has a replica');
      for (const replica of r.replicas) assert.ok(replica.resource_group_name, 'each replica names its resource group');
    });

    it('refuses a load asking for more replicas than there are query nodes', async (t) => {
      if (lacks(t, f.replicas)) return;
      await createCollection(c, 'contract_replicas');
      const r = await c.loadCollectionAsync({ collection_name: 'contract_replicas', replica_number: 1000 });
      refused(r, 'load with 1000 replicas');
      // The operator tells the user to add query nodes on this text.
      const s = statusOf(r);
      assert.equal(reasonOf(s), 'NotEnoughQueryNodes', `reason: ${String(s?.reason)}`);
      await waitForState(c, 'contract_replicas', 'LoadStateNotLoad', undefined, 5000);
    });

    it('has the default resource group and refuses a load naming a missing one', async (t) => {
      if (lacks(t, f.resourceGroups)) return;
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
      const r = await c.loadCollectionAsync({ collection_name: 'contract_no_index' });
      refused(r, 'load without an index', /index/i);
      assert.equal(statusOf(r)?.code, 700, 'IndexNotExist is code 700');
      const s = statusOf(r);
      assert.equal(reasonOf(s), 'IndexNotFound');
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
      // probeAbandonedLoads tells "never loaded / released" from "loading" by this answer.
      const p = await c.getLoadingProgress({ collection_name: 'contract_main' });
      if (f.progressAfterRelease === 'notLoaded101') {
        refused(p, 'GetLoadingProgress of a released collection', /not loaded/);
        assert.equal(statusOf(p)?.code, 101, 'CollectionNotLoaded is code 101');
      } else {
        ok(p, 'GetLoadingProgress of a released collection');
        assert.equal(Number(p.progress), 0);
      }
    });

    it('releases a collection that is not loaded: success, not an error', async () => {
      await waitForState(c, 'contract_main', 'LoadStateNotLoad');
      ok(await c.releaseCollection({ collection_name: 'contract_main' }), 'release of a released collection');
    });

    it('answers GetLoadState in a database that does not exist as declared', async () => {
      const r = await c.getLoadState({ db_name: 'contract_no_such_db', collection_name: 'contract_main' });
      if (f.loadStateInMissingDatabase === 'NotExist') {
        ok(r, 'getLoadState in a missing database');
        assert.equal(r.state, 'LoadStateNotExist');
      } else {
        refused(r, 'getLoadState in a missing database');
      }
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

    it('changes the replica number of a loaded collection as declared, never releasing it', async (t) => {
      if (f.replicaChange !== 'applied' && f.replicaChange !== 'refused') {
        t.skip(f.replicaChange);
        return;
      }
      await createCollection(c, 'contract_reconf', { rows: 10 });
      ok(await c.loadCollectionAsync({ collection_name: 'contract_reconf' }), 'load');
      await waitForState(c, 'contract_reconf', 'LoadStateLoaded');
      const id = (await c.describeCollection({ collection_name: 'contract_reconf' })).collectionID;
      if (f.replicaChange === 'applied') {
        assert.ok(server.setQueryNodes, 'declared applied: the backend must offer two query nodes');
        server.setQueryNodes(2);
        ok(await c.loadCollectionAsync({ collection_name: 'contract_reconf', replica_number: 2 }), 'load with 2 replicas');
        for (const deadline = Date.now() + 60_000; ; await sleep(50)) {
          const r = await c.getReplicas({ collectionID: id });
          if (isSuccess(r) && r.replicas.length === 2) break;
          assert.ok(Date.now() < deadline, `still ${JSON.stringify(r.replicas)}`);
        }
      } else {
        const r = await c.loadCollectionAsync({ collection_name: 'contract_reconf', replica_number: 2 });
        refused(r, 'another replica number for a loaded collection', /replica/);
        assert.equal(reasonOf(statusOf(r)), 'ReconfigureRefused', `reason: ${String(statusOf(r)?.reason)}`);
      }
      await waitForState(c, 'contract_reconf', 'LoadStateLoaded');
      ok(await c.releaseCollection({ collection_name: 'contract_reconf' }), 'release');
    });

    it('handles other load_fields for a loaded collection as declared', async () => {
      await createCollection(c, 'contract_fields', { rows: 10 });
      ok(await c.loadCollectionAsync({ collection_name: 'contract_fields', load_fields: ['id', 'vec', 'title'] }), 'load with all fields');
      await waitForState(c, 'contract_fields', 'LoadStateLoaded');
      const r = await c.loadCollectionAsync({ collection_name: 'contract_fields', load_fields: ['id', 'vec'] });
      if (f.loadFieldsChange === 'refused') {
        refused(r, 'other load_fields for a loaded collection', /load field list/);
        assert.equal(reasonOf(statusOf(r)), 'ReconfigureRefused');
      } else {
        ok(r, 'other load_fields (ignored)');
      }
      await waitForState(c, 'contract_fields', 'LoadStateLoaded');
      ok(await c.releaseCollection({ collection_name: 'contract_fields' }), 'release');
    });

    it('answers a refresh and GetReplicas of a collection that is not loaded as declared', async (t) => {
      await createCollection(c, 'contract_unloaded', { rows: 10 });
      ok(await c.releaseCollection({ collection_name: 'contract_unloaded' }), 'release (Milvus Lite loads on index creation)');
      await waitForState(c, 'contract_unloaded', 'LoadStateNotLoad');
      const r = await c.refreshLoad({ collection_name: 'contract_unloaded' });
      if (f.refreshUnloaded === 'refused') {
        refused(r, 'refresh of a collection that is not loaded', /not (fully )?loaded/);
        // A refused refresh changes nothing: the operator must load it instead.
        assert.equal(String((await c.getLoadState({ collection_name: 'contract_unloaded' })).state), 'LoadStateNotLoad');
      } else {
        ok(r, 'refresh of a collection that is not loaded');
        // Accepted as a load: a refresh the operator sends must never reach a collection that should stay released.
        await waitForState(c, 'contract_unloaded', 'LoadStateLoaded');
      }
      if (f.replicasUnloaded !== 'error' && f.replicasUnloaded !== 'empty') {
        t.diagnostic(`GetReplicas not checked: ${f.replicasUnloaded}`);
        return;
      }
      ok(await c.releaseCollection({ collection_name: 'contract_unloaded' }), 'release');
      await waitForState(c, 'contract_unloaded', 'LoadStateNotLoad');
      const id = (await c.describeCollection({ collection_name: 'contract_unloaded' })).collectionID;
      const rep = await c.getReplicas({ collectionID: id });
      if (f.replicasUnloaded === 'error') refused(rep, 'GetReplicas of a collection that is not loaded');
      else {
        ok(rep, 'GetReplicas of a collection that is not loaded');
        assert.deepEqual(rep.replicas, []);
      }
    });

    it('refuses calls without or with wrong credentials: gRPC UNAUTHENTICATED', async (t) => {
      if (lacks(t, f.auth)) return;
      assert.ok(server.credentials, 'declared auth, but the server has no credentials');
      for (const [what, creds] of [
        ['no credentials', undefined],
        ['a wrong password', { username: server.credentials.username, password: 'contract-wrong-password' }],
      ] as const) {
        const other = clientFor(server.address, creds, { maxRetries: 0 });
        try {
          const r = await outcome(other.getLoadState({ collection_name: 'contract_main' }));
          assert.ok(!r.ok, `${what}: the call succeeded`);
          assert.equal(r.code, 16, `${what}: ${r.message}`);
        } finally {
          await other.closeConnection();
        }
      }
      ok(await c.getLoadState({ collection_name: 'contract_main' }), 'the right credentials still work');
    });

    it('answers the RPCs it lacks with UNIMPLEMENTED, which reaches the caller as a reply without status', async () => {
      assert.ok(f.unimplemented.length > 0, 'declare at least one unimplemented RPC (every backend here has some)');
      for (const name of f.unimplemented) {
        const r = await UNIMPLEMENTED_CALLS[name](c);
        assert.equal(statusOf(r), undefined, `${name}: ${JSON.stringify(r)}`);
      }
    });

    it('a stopped server refuses calls (gRPC UNAVAILABLE); after a restart collections are kept, loads come back as declared', async (t) => {
      const expected = f.afterRestart;
      if (expected === undefined) {
        t.skip(`${backend.name} does not declare what a restart does to loads`);
        return;
      }
      if (expected !== 'Loaded' && expected !== 'NotLoad') {
        t.skip(expected);
        return;
      }
      if (server.down === undefined || server.up === undefined) {
        t.skip(`${backend.name} cannot be stopped and started by this test`);
        return;
      }
      ok(await c.loadCollectionAsync({ collection_name: 'contract_main' }), 'loadCollectionAsync');
      await waitForState(c, 'contract_main', 'LoadStateLoaded');
      await server.down();
      // The operator reports MilvusUnavailable on exactly this (the SDK's retries would only delay it).
      const dead = clientFor(server.address, server.credentials, { maxRetries: 0 });
      try {
        const r = await outcome(dead.getLoadState({ collection_name: 'contract_main' }));
        assert.ok(!r.ok && r.code === 14, `a call to a stopped server: ${r.ok ? 'succeeded' : `code ${String(r.code)}: ${r.message}`}`);
      } finally {
        await dead.closeConnection();
      }
      await server.up();
      // The SDK reconnects on gRPC's backoff; a new client answers at once.
      await c.closeConnection();
      c = clientFor(server.address, server.credentials);
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
