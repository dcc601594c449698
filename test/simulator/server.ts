// The simulator's gRPC handlers: Milvus RPCs over SimulatorState, with
// per-method counters and injectable faults. RPCs it does not implement
// answer UNIMPLEMENTED, as an older real server does.
import * as grpc from '@grpc/grpc-js';
import * as E from './errors.ts';
import { OK, type Status } from './errors.ts';
import { decodeSchema, milvusService } from './protocol.ts';
import type { SimCollection, SimulatorState } from './state.ts';

export interface Faults {
  /** Every call fails with gRPC UNAVAILABLE (the server still accepts connections). */
  unavailable: boolean;
  /** Extra latency per method name, or '*' for all. */
  latencyMs: Map<string, number>;
  /** One-shot error statuses per method name. */
  failNext: Map<string, Status>;
  /** When set, the `authorization` metadata must equal base64 of this (token, or user:password). */
  requireAuth: string | undefined;
}

type Req = Record<string, unknown>;
type Reply = Record<string, unknown>;
type Handler = (req: Req, db: string) => Reply;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export function buildHandlers(state: SimulatorState): Record<string, Handler> {
  const need = (db: string, name: string): SimCollection | Status => state.collection(db, name) ?? E.collectionNotFound(db, name);
  const isStatus = (x: SimCollection | Status): x is Status => 'error_code' in x;
  const withCollection = (f: (c: SimCollection, req: Req, db: string) => Reply, shape: (s: Status) => Reply = (s) => ({ ...s })): Handler => (req, db) => {
    const c = need(db, str(req.collection_name));
    return isStatus(c) ? shape(c) : f(c, req, db);
  };

  const startLoad = (c: SimCollection, req: Req, partitions: string[] | 'all'): Status => {
    if (!c.indexed) return E.indexNotFound(c.name);
    const replicas = Math.max(1, Number(req.replica_number ?? 0) || (c.load?.replicas ?? 1));
    if (replicas > state.queryNodes) return E.nodesNotEnough();
    if (c.load && state.loadState(c) === 'LoadStateLoading' && replicas !== c.load.replicas) return E.loadParamsChanged();
    const needed = state.memoryOf(c) * replicas;
    const others = state.usedBytes(c);
    if (others + needed > state.capacityBytes) return E.outOfMemory(others, others + needed, state.capacityBytes);
    const already = c.load && state.loadState(c) === 'LoadStateLoaded' && replicas === c.load.replicas && !req.refresh;
    const parts = partitions === 'all' ? 'all' : new Set([...(c.load && c.load.partitions !== 'all' ? c.load.partitions : []), ...partitions]);
    if (!already) {
      c.load = {
        startedAt: state.now(),
        replicas,
        resourceGroups: list(req.resource_groups),
        partitions: parts,
        ...(state.stuckLoadsAt !== undefined ? { stuckAt: state.stuckLoadsAt } : {}),
      };
    } else if (c.load) c.load.partitions = parts;
    return OK;
  };

  const partitionPercent = (c: SimCollection, p: string): number => {
    if (!c.load) return 0;
    if (c.load.partitions !== 'all' && !c.load.partitions.has(p)) return 0;
    return state.progress(c);
  };

  return {
    Connect: () => ({ status: OK, server_info: { build_tags: 'simulator', deploy_mode: 'SIMULATOR', reserved: {} }, identifier: state.id() }),
    GetVersion: () => ({ status: OK, version: 'v2.4.0-simulator' }),
    CheckHealth: () => ({ status: OK, isHealthy: true, reasons: [], quota_states: [] }),
    ListDatabases: () => ({ status: OK, db_names: [...state.databases.keys()], created_timestamp: [], db_ids: [] }),
    CreateDatabase: (req) => {
      const db = str(req.db_name);
      if (state.databases.has(db)) return { ...E.databaseExists(db) };
      state.createDatabase(db);
      return { ...OK };
    },
    ShowCollections: (req, db) => {
      const cols = state.databases.get(db);
      if (!cols) return { status: E.databaseNotFound(db), collection_names: [] };
      const inMemory = req.type === 'InMemory';
      const picked = [...cols.values()].filter((c) => !inMemory || c.load);
      return {
        status: OK,
        collection_names: picked.map((c) => c.name),
        collection_ids: picked.map((c) => c.id),
        created_timestamps: picked.map((c) => String(c.createdAt)),
        created_utc_timestamps: picked.map((c) => String(c.createdAt)),
        // Like real Milvus (2.3.5 seen), only type InMemory carries percentages.
        inMemory_percentages: inMemory ? picked.map((c) => String(state.progress(c))) : [],
        query_service_available: picked.map((c) => state.loadState(c) === 'LoadStateLoaded'),
      };
    },
    HasCollection: (req, db) => ({ status: OK, value: state.collection(db, str(req.collection_name)) !== undefined }),
    CreateCollection: (req, db) => {
      if (!state.databases.has(db)) return { ...E.databaseNotFound(db) };
      const name = str(req.collection_name);
      if (state.collection(db, name)) return { ...E.collectionExists(name) };
      state.addCollection(db, name, decodeSchema(req.schema as Uint8Array), { indexed: false });
      return { ...OK };
    },
    DropCollection: withCollection((c) => {
      state.databases.get(c.db)?.delete(c.name);
      return { ...OK };
    }),
    DescribeCollection: withCollection(
      (c) => ({
        status: OK,
        schema: { ...c.schema, fields: c.schema.fields.map((f, i) => ({ fieldID: String(100 + i), ...f })) },
        collectionID: c.id,
        collection_name: c.name,
        db_name: c.db,
        created_timestamp: String(c.createdAt),
        created_utc_timestamp: String(c.createdAt),
        shards_num: 1,
        aliases: [],
        properties: [],
      }),
      (s) => ({ status: s }),
    ),
    GetCollectionStatistics: withCollection((c) => ({ status: OK, stats: [{ key: 'row_count', value: String(c.rows) }] }), (s) => ({ status: s })),
    Insert: withCollection(
      (c, req) => {
        const n = Number(req.num_rows ?? 0);
        c.rows += n;
        return { status: OK, succ_index: Array.from({ length: n }, (_, i) => i), err_index: [], insert_cnt: String(n), IDs: { int_id: { data: [] } } };
      },
      (s) => ({ status: s }),
    ),
    Flush: () => ({ status: OK, coll_segIDs: {}, flush_coll_segIDs: {}, coll_seal_times: {}, coll_flush_ts: {} }),
    GetFlushState: () => ({ status: OK, flushed: true }),
    GetFlushAllState: () => ({ status: OK, flushed: true }),
    CreateIndex: withCollection((c) => {
      c.indexed = true;
      return { ...OK };
    }),
    DescribeIndex: withCollection(
      (c) => (c.indexed ? { status: OK, index_descriptions: [{ index_name: 'vec', field_name: 'vec', params: [], state: 'Finished', indexed_rows: String(c.rows), total_rows: String(c.rows) }] } : { status: E.indexNotFound(c.name), index_descriptions: [] }),
      (s) => ({ status: s }),
    ),
    LoadCollection: withCollection((c, req) => ({ ...startLoad(c, req, 'all') })),
    ReleaseCollection: withCollection((c) => {
      delete c.load;
      return { ...OK };
    }),
    GetLoadState: (req, db) => {
      const c = state.collection(db, str(req.collection_name));
      return { status: OK, state: c ? state.loadState(c) : 'LoadStateNotExist' };
    },
    GetLoadingProgress: withCollection((c) => ({ status: OK, progress: String(state.progress(c)), refresh_progress: '100' }), (s) => ({ status: s })),
    ShowPartitions: withCollection(
      (c) => {
        const names = [...c.partitions.keys()];
        return {
          status: OK,
          partition_names: names,
          partitionIDs: names.map((n) => c.partitions.get(n) ?? ''),
          created_timestamps: names.map(() => String(c.createdAt)),
          created_utc_timestamps: names.map(() => String(c.createdAt)),
          inMemory_percentages: names.map((n) => String(partitionPercent(c, n))),
        };
      },
      (s) => ({ status: s }),
    ),
    CreatePartition: withCollection((c, req) => {
      c.partitions.set(str(req.partition_name), state.id());
      return { ...OK };
    }),
    LoadPartitions: withCollection((c, req) => {
      const parts = list(req.partition_names);
      const missing = parts.find((p) => !c.partitions.has(p));
      return missing ? { ...E.partitionNotFound(missing) } : { ...startLoad(c, req, parts) };
    }),
    ReleasePartitions: withCollection((c, req) => {
      if (!c.load) return { ...OK };
      const keep = c.load.partitions === 'all' ? new Set(c.partitions.keys()) : new Set(c.load.partitions);
      for (const p of list(req.partition_names)) keep.delete(p);
      if (keep.size === 0) delete c.load;
      else c.load.partitions = keep;
      return { ...OK };
    }),
    GetQuerySegmentInfo: (req, db) => {
      const c = state.collection(db, str(req.collectionName));
      if (!c) return { status: E.collectionNotFound(db, str(req.collectionName)), infos: [] };
      if (state.loadState(c) !== 'LoadStateLoaded') return { status: OK, infos: [] };
      return {
        status: OK,
        infos: [{ segmentID: state.id(), collectionID: c.id, partitionID: c.partitions.get('_default'), mem_size: String(state.memoryOf(c) * (c.load?.replicas ?? 1)), num_rows: String(c.rows), state: 'Sealed', nodeIds: ['1'] }],
      };
    },
    GetReplicas: (req) => {
      const c = [...state.databases.values()].flatMap((d) => [...d.values()]).find((x) => x.id === str(req.collectionID));
      if (!c?.load) return { status: E.collectionNotLoaded(str(req.collectionID)), replicas: [] };
      const groups = c.load.resourceGroups.length > 0 ? c.load.resourceGroups : ['__default_resource_group'];
      return {
        status: OK,
        replicas: Array.from({ length: c.load.replicas }, (_, i) => ({ replicaID: state.id(), collectionID: c.id, partition_ids: [], shard_replicas: [], node_ids: ['1'], resource_group_name: groups[i % groups.length] })),
      };
    },
    ListResourceGroups: () => ({ status: OK, resource_groups: [...state.resourceGroups] }),
    Search: (req, db) => {
      const c = state.collection(db, str(req.collection_name));
      if (!c) return { status: E.collectionNotFound(db, str(req.collection_name)) };
      if (state.loadState(c) !== 'LoadStateLoaded') return { status: E.collectionNotLoaded(c.id), collection_name: c.name };
      const k = Math.min(3, Math.max(1, c.rows));
      return {
        status: OK,
        collection_name: c.name,
        results: { num_queries: '1', top_k: String(k), fields_data: [], scores: Array.from({ length: k }, (_, i) => i / 10), ids: { int_id: { data: Array.from({ length: k }, (_, i) => String(i)) } }, topks: [String(k)], output_fields: [] },
      };
    },
  };
}

export interface Instrumented {
  service: grpc.UntypedServiceImplementation;
  counters: Map<string, number>;
}

function authOk(faults: Faults, metadata: grpc.Metadata): boolean {
  if (faults.requireAuth === undefined) return true;
  const want = Buffer.from(faults.requireAuth, 'utf8').toString('base64');
  return metadata.get('authorization')[0] === want;
}

/** Wraps every MilvusService method: counters, faults, database from request or `dbname` metadata. */
export function instrument(state: SimulatorState, faults: Faults): Instrumented {
  const handlers = buildHandlers(state);
  const counters = new Map<string, number>();
  const service: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(milvusService)) {
    const handler = handlers[method];
    service[method] = (call: grpc.ServerUnaryCall<Req, Reply>, callback: grpc.sendUnaryData<Reply>): void => {
      counters.set(method, (counters.get(method) ?? 0) + 1);
      const respond = (): void => {
        if (faults.unavailable) return callback({ code: grpc.status.UNAVAILABLE, details: 'simulator: Milvus unavailable (injected)' });
        if (!authOk(faults, call.metadata)) return callback({ code: grpc.status.UNAUTHENTICATED, details: 'auth check failure, please check username and password are correct' });
        if (!handler) return callback({ code: grpc.status.UNIMPLEMENTED, details: `simulator: ${method} is not implemented` });
        const injected = faults.failNext.get(method);
        if (injected) {
          faults.failNext.delete(method);
          return callback(null, { ...injected, status: injected });
        }
        const db = str(call.request.db_name) || str(call.request.dbName) || String(call.metadata.get('dbname')[0] ?? '') || 'default';
        try {
          callback(null, handler(call.request, db));
        } catch (e: unknown) {
          callback({ code: grpc.status.INTERNAL, details: `simulator: ${method} failed: ${(e as Error).message}` });
        }
      };
      const delay = faults.latencyMs.get(method) ?? faults.latencyMs.get('*') ?? 0;
      if (delay > 0) setTimeout(respond, delay);
      else respond();
    };
  }
  return { service, counters };
}
