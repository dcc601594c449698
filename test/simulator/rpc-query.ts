// Server-level RPCs (Connect, GetVersion, CheckHealth) and what the operator
// reads about loaded collections: segments with their memory, replicas,
// resource groups; plus Search, which fails like Milvus when not loaded.
import * as E from './errors.ts';
import { int, isStatus, lookup, str, withStatus, type Handlers, type Reply } from './rpc.ts';
import { type SimCollection, type SimPartition, type SimulatorState } from './state.ts';
import { isVector } from './schema.ts';

/** Segments a loaded partition shows: its memory cut into `segmentMemBytes` pieces, as many loaded as progress says. */
function segmentsOf(state: SimulatorState, c: SimCollection, p: SimPartition, pct: number, nodeIds: string[]): Reply[] {
  const load = c.load;
  if (!load || p.rows === 0) return [];
  const mem = state.memoryOf(c, [p], load.loadFieldIds);
  const count = Math.max(1, Math.ceil(mem / c.segmentMemBytes));
  const loaded = Math.floor((count * pct) / 100);
  const ids = state.stableIds((p.segmentIds ??= []), count);
  const index = [...c.indexes.values()].find((i) => c.schema.fields.some((f) => f.name === i.field && isVector(f)));
  const out: Reply[] = [];
  for (let i = 0; i < loaded; i++) {
    const rows = Math.floor(p.rows / count) + (i < p.rows % count ? 1 : 0);
    out.push({
      segmentID: ids[i],
      collectionID: c.id,
      partitionID: p.id,
      mem_size: String(Math.round((mem * rows) / p.rows)),
      num_rows: String(rows),
      index_name: index?.name ?? '',
      indexID: index?.id ?? '0',
      nodeID: nodeIds[0] ?? '0',
      state: 'Sealed',
      nodeIds,
      level: 'L1',
      is_sorted: true,
      storage_version: '2',
    });
  }
  return out;
}

/** Query node IDs serving a collection's replicas: node i+1 for replica i. */
const nodeIdsFor = (replicas: number): string[] => Array.from({ length: replicas }, (_, i) => String(i + 1));

export function queryHandlers(state: SimulatorState, serverId: string): Handlers {
  return {
    Connect: () =>
      withStatus(E.OK, {
        server_info: { build_tags: 'milvus-load-operator simulator', build_time: '', git_commit: '', go_version: '', deploy_mode: 'STANDALONE', reserved: {} },
        identifier: serverId,
      }),
    GetVersion: () => withStatus(E.OK, { version: state.config.version }),
    CheckHealth: () => withStatus(E.OK, { isHealthy: true, reasons: [], quota_states: [] }),
    GetQuerySegmentInfo: (req, db) => {
      const c = lookup(state, str(req.dbName) || db, str(req.collectionName));
      if (isStatus(c)) return withStatus(c, { infos: [] });
      // Not loaded: querycoord lists no segments, successfully.
      if (state.loads.progress(c) < 0 || !c.load) return withStatus(E.OK, { infos: [] });
      const nodes = nodeIdsFor(c.load.replicas);
      const infos: Reply[] = [];
      for (const p of c.partitions.values()) {
        const pct = state.loads.partitionProgress(c, p);
        if (pct > 0) infos.push(...segmentsOf(state, c, p, pct, nodes));
      }
      return withStatus(E.OK, { infos });
    },
    GetReplicas: (req, db) => {
      const byName = str(req.collection_name);
      const c = str(req.collectionID) !== '0' && str(req.collectionID) !== '' ? state.byId.get(str(req.collectionID)) : state.collection(str(req.db_name) || db, byName);
      const load = c?.load;
      // querycoord: no replicas (not loaded, or no such collection) is ErrReplicaNotFound, code 400.
      if (!c || !load || state.loads.progress(c) < 0) return withStatus(E.replicaNotFound(c?.id ?? (str(req.collectionID) || '0')), { replicas: [] });
      const ids = state.stableIds((load.replicaIds ??= []), load.replicas);
      const partitionIds = [...c.partitions.values()].filter((p) => p.loadStartedAt !== undefined).map((p) => p.id);
      return withStatus(E.OK, {
        replicas: ids.map((replicaID, i) => {
          const node = String(i + 1);
          return {
            replicaID,
            collectionID: c.id,
            partition_ids: partitionIds,
            shard_replicas: req.with_shard_nodes === true ? [{ leaderID: node, leader_addr: `127.0.0.1:${21123 + i}`, dm_channel_name: `by-dev-rootcoord-dml_0_${c.id}v0`, node_ids: [node] }] : [],
            node_ids: [node],
            resource_group_name: load.resourceGroups[load.resourceGroups.length === 1 ? 0 : i] ?? '',
            num_outbound_node: {},
          };
        }),
      });
    },
    ListResourceGroups: () => withStatus(E.OK, { resource_groups: [...state.resourceGroups.keys()] }),
    DescribeResourceGroup: (req) => {
      const name = str(req.resource_group);
      const nodes = state.resourceGroups.get(name);
      if (nodes === undefined) return withStatus(E.resourceGroupNotFound(name));
      const loadedReplicas: Record<string, number> = {};
      for (const c of state.byId.values()) {
        const load = c.load;
        if (!load || !load.resourceGroups.includes(name)) continue;
        loadedReplicas[c.name] = load.resourceGroups.length === 1 ? load.replicas : 1;
      }
      return withStatus(E.OK, {
        resource_group: {
          name,
          capacity: nodes,
          num_available_node: nodes,
          num_loaded_replica: loadedReplicas,
          num_outgoing_node: {},
          num_incoming_node: {},
          nodes: nodeIdsFor(nodes).map((id) => ({ node_id: id, address: `127.0.0.1:${21123 + Number(id) - 1}`, hostname: `querynode-${id}` })),
        },
      });
    },
    Search: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c, { collection_name: str(req.collection_name) });
      const pct = state.loads.progress(c);
      if (pct < 0) return withStatus(E.collectionNotLoaded(c.id), { collection_name: c.name });
      if (pct < 100) return withStatus(E.collectionNotFullyLoaded(c.id), { collection_name: c.name });
      const params = (req.search_params as { key: string; value: string }[] | undefined) ?? [];
      const topk = int(params.find((p) => p.key === 'topk' || p.key === 'limit')?.value ?? 10);
      const nq = Math.max(1, int(req.nq));
      const k = Math.max(0, Math.min(topk, state.rowCount(c)));
      const pk = c.schema.fields.find((f) => f.is_primary_key);
      const idList = Array.from({ length: nq * k }, (_, i) => i % Math.max(1, k));
      const ids = pk?.data_type === 'VarChar' ? { str_id: { data: idList.map(String) } } : { int_id: { data: idList.map(String) } };
      // Dummy hits: the simulator holds no vectors.
      return withStatus(E.OK, {
        collection_name: c.name,
        results: { num_queries: String(nq), top_k: String(k), fields_data: [], scores: idList.map((i) => i / 10), ids, topks: Array.from({ length: nq }, () => String(k)), output_fields: [], primary_field_name: pk?.name ?? '' },
      });
    },
  };
}
