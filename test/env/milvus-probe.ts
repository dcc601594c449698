// `node test/env/milvus-probe.ts lite|standalone|HOST:PORT`: calls, through the
// Node SDK the operator uses, every RPC the operator relies on (and the ones
// it would like to) and prints what each returns. It is how the feature
// matrix in docs/test-environment.md was made; run it again after bumping a
// Milvus or SDK version.
import { fileURLToPath } from 'node:url';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startMilvusLite, startMilvusStandalone, type MilvusServer } from './milvus.ts';

export interface ProbeRow {
  readonly rpc: string;
  /** ok | error | unimplemented | throws */
  readonly outcome: string;
  readonly detail: string;
}

interface Status {
  code?: number;
  error_code?: string;
  reason?: string;
}

function statusOf(reply: unknown): Status | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { status?: Status } & Status;
  if (r.status) return r.status;
  if ('error_code' in r || 'code' in r) return r;
  return undefined;
}

function classify(reply: unknown): { outcome: string; status: string } {
  const s = statusOf(reply);
  if (s === undefined) return { outcome: 'unimplemented', status: 'reply {} (gRPC UNIMPLEMENTED, as the SDK passes it on)' };
  const status = `error_code=${String(s.error_code)} code=${String(s.code)}${s.reason ? ` reason="${s.reason.slice(0, 160)}"` : ''}`;
  const success = (s.code ?? 0) === 0 && (s.error_code === undefined || s.error_code === 'Success');
  return { outcome: success ? 'ok' : 'error', status };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function probeMilvus(address: string): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  const c = new MilvusClient({ address, timeout: 30_000, telemetry: { enabled: false } });
  const call = async <T>(rpc: string, f: () => Promise<T>, show: (r: T) => unknown = () => ''): Promise<T | undefined> => {
    const t0 = Date.now();
    try {
      const r = await f();
      const { outcome, status } = classify(r);
      const extra = outcome === 'ok' ? show(r) : '';
      rows.push({ rpc, outcome, detail: `${status}${extra === '' ? '' : ` ${JSON.stringify(extra)}`} (${Date.now() - t0} ms)` });
      return r;
    } catch (e: unknown) {
      rows.push({ rpc, outcome: 'throws', detail: `${(e as Error).message.slice(0, 200)} (${Date.now() - t0} ms)` });
      return undefined;
    }
  };
  const name = `probe_${Date.now().toString(36)}`;
  const coll = { collection_name: name };
  await call('GetVersion', () => c.getVersion(), (r) => r.version);
  await call('CheckHealth', () => c.checkHealth(), (r) => ({ isHealthy: r.isHealthy }));
  await call('ListDatabases', () => c.listDatabases(), (r) => r.db_names);
  await call('CreateDatabase', () => c.createDatabase({ db_name: `${name}_db` }));
  await call('DescribeDatabase', () => c.describeDatabase({ db_name: `${name}_db` }), (r) => r.db_name);
  await call('CreateCollection', () =>
    c.createCollection({
      ...coll,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vec', data_type: DataType.FloatVector, dim: 8 },
        { name: 'title', data_type: DataType.VarChar, max_length: 64 },
      ],
    }),
  );
  await call('CreateCollection in another database', () =>
    c.createCollection({ db_name: `${name}_db`, collection_name: 'other', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] }),
  );
  await call('ShowCollections(db_name)', () => c.showCollections({ db_name: `${name}_db` }), (r) => r.data.map((d) => d.name));
  await call('ShowCollections(missing db)', () => c.showCollections({ db_name: `${name}_nodb` }));
  await call('Insert', () => c.insert({ ...coll, data: Array.from({ length: 300 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 300), title: `t${i}` })) }), (r) => r.insert_cnt);
  await call('Flush', () => c.flushSync({ collection_names: [name] }));
  await call('LoadCollection without an index', () => c.loadCollectionAsync(coll));
  await call('CreateIndex', () => c.createIndex({ ...coll, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }));
  await call('DescribeIndex', () => c.describeIndex(coll), (r) => r.index_descriptions.map((d) => d.index_name));
  await call('GetLoadState after CreateIndex', () => c.getLoadState(coll), (r) => r.state);
  await call('ReleaseCollection', () => c.releaseCollection(coll));
  await call('GetLoadState after release', () => c.getLoadState(coll), (r) => r.state);
  await call('GetLoadingProgress after release', () => c.getLoadingProgress(coll), (r) => r.progress);
  await call('LoadCollection (async)', () => c.loadCollectionAsync(coll));
  const states: string[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 600; i++) {
    const s = await c.getLoadState(coll);
    const p = await c.getLoadingProgress(coll);
    const entry = `${String(s.state)}/${String(p.progress)}%`;
    if (states[states.length - 1] !== entry) states.push(entry);
    if (String(s.state) === 'LoadStateLoaded') break;
    await sleep(50);
  }
  rows.push({ rpc: 'GetLoadState + GetLoadingProgress while loading', outcome: 'ok', detail: `${states.join(' -> ')} in ${Date.now() - t0} ms` });
  await call('ShowCollections(All)', () => c.showCollections(), (r) => r.data.filter((d) => d.name === name));
  await call('ShowCollections(InMemory)', () => c.showCollections({ type: 1 }), (r) => r.data.filter((d) => d.name === name));
  await call('ShowCollections(InMemory, collection_names)', () => c.showCollections({ type: 1, collection_names: [name] }), (r) => r.data);
  const desc = await call('DescribeCollection', () => c.describeCollection(coll), (r) => ({ id: r.collectionID, fields: r.schema.fields.map((f) => `${f.name}:${f.data_type}${f.dim ? `(${JSON.stringify(f.dim)})` : ''}${f.max_length ? `(${JSON.stringify(f.max_length)})` : ''}`), shards: r.shards_num }));
  await call('GetCollectionStatistics', () => c.getCollectionStatistics(coll), (r) => r.data);
  await call('GetQuerySegmentInfo', () => c.getQuerySegmentInfo({ collectionName: name }), (r) => r.infos.map((s) => ({ rows: s.num_rows, mem_size: s.mem_size, state: s.state })));
  await call('GetPersistentSegmentInfo', () => c.getPersistentSegmentInfo({ collectionName: name }), (r) => r.infos.map((s) => ({ rows: s.num_rows, state: s.state })));
  await call('GetReplicas', () => c.getReplicas({ collectionID: String(desc?.collectionID ?? '0') }), (r) => r.replicas.map((x) => ({ rg: x.resource_group_name, nodes: x.node_ids })));
  await call('Search (loaded)', () => c.search({ ...coll, data: [Array(8).fill(0.5)], limit: 3 }), (r) => r.results.length);
  await call('Query (loaded)', () => c.query({ ...coll, filter: 'id < 3', output_fields: ['id'] }), (r) => r.data.length);
  await call('LoadCollection again (idempotent)', () => c.loadCollectionAsync(coll));
  await call('RefreshLoad (LoadCollection refresh=true)', () => c.refreshLoad(coll));
  await call('LoadCollection replica_number=2 while loaded', () => c.loadCollectionAsync({ ...coll, replica_number: 2 }));
  await call('LoadCollection resource_groups=[__default_resource_group]', () => c.loadCollectionAsync({ ...coll, resource_groups: ['__default_resource_group'] }));
  await call('LoadCollection resource_groups=[no_such_rg]', () => c.loadCollectionAsync({ ...coll, resource_groups: ['no_such_rg'] }));
  await call('ListResourceGroups', () => c.listResourceGroups(), (r) => r.resource_groups);
  await call('DescribeResourceGroup', () => c.describeResourceGroup({ resource_group: '__default_resource_group' }), (r) => r.resource_group);
  await call('CreateResourceGroup', () => c.createResourceGroup({ resource_group: `${name}_rg` }));
  await call('DropResourceGroup', () => c.dropResourceGroup({ resource_group: `${name}_rg` }));
  await call('CreatePartition', () => c.createPartition({ ...coll, partition_name: 'p1' }));
  await call('ShowPartitions(InMemory)', () => c.showPartitions({ ...coll, type: 1 }), (r) => r.data.map((p) => `${p.name}:${String(p.loadedPercentage)}%`));
  await call('ReleaseCollection', () => c.releaseCollection(coll));
  await call('Search after release', () => c.search({ ...coll, data: [Array(8).fill(0.5)], limit: 3 }));
  await call('Query after release', () => c.query({ ...coll, filter: 'id < 3', output_fields: ['id'] }));
  await call('GetLoadState after release', () => c.getLoadState(coll), (r) => r.state);
  await call('ShowCollections(InMemory) after release', () => c.showCollections({ type: 1 }), (r) => r.data.filter((d) => d.name === name));
  await call('LoadPartitions', () => c.loadPartitions({ ...coll, partition_names: ['p1'] }));
  await sleep(1500);
  await call('GetLoadState(partition)', () => c.getLoadState({ ...coll, partition_names: ['p1'] }), (r) => r.state);
  await call('GetLoadState(collection) with one partition loaded', () => c.getLoadState(coll), (r) => r.state);
  await call('ReleasePartitions', () => c.releasePartitions({ ...coll, partition_names: ['p1'] }));
  await call('LoadCollection load_fields=[id, vec]', () => c.loadCollectionAsync({ ...coll, load_fields: ['id', 'vec'] }));
  await sleep(1500);
  await call('Query an unloaded field (load_fields)', () => c.query({ ...coll, filter: 'id < 3', output_fields: ['title'] }));
  await call('ReleaseCollection', () => c.releaseCollection(coll));
  await call('GetLoadState(missing collection)', () => c.getLoadState({ collection_name: `${name}_missing` }), (r) => r.state);
  await call('LoadCollection(missing collection)', () => c.loadCollectionAsync({ collection_name: `${name}_missing` }));
  await call('ReleaseCollection(missing collection)', () => c.releaseCollection({ collection_name: `${name}_missing` }));
  await call('GetLoadState(missing database)', () => c.getLoadState({ db_name: `${name}_nodb`, collection_name: name }), (r) => r.state);
  await call('DropCollection', () => c.dropCollection(coll));
  await call('DropCollection in another database', () => c.dropCollection({ db_name: `${name}_db`, collection_name: 'other' }));
  await call('DropDatabase', () => c.dropDatabase({ db_name: `${name}_db` }));
  await c.closeConnection();
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = process.argv[2] ?? 'lite';
  let server: MilvusServer | undefined;
  if (target === 'lite') server = await startMilvusLite();
  else if (target === 'standalone') server = await startMilvusStandalone();
  try {
    for (const r of await probeMilvus(server?.address ?? target)) console.log(`${r.rpc.padEnd(58)} ${r.outcome.padEnd(13)} ${r.detail}`);
  } finally {
    await server?.dispose();
  }
}
