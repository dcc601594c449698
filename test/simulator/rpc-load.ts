// Load RPCs: load, release, state, progress, and the listings that carry load
// percentages (ShowCollections / ShowPartitions of type InMemory), with the
// checks and texts of a Milvus 2.4.13+ proxy and query coordinator.
import * as E from './errors.ts';
import type { Status } from './errors.ts';
import type { LoadRequest } from './load-machine.ts';
import { bare, int, isStatus, list, lookup, str, withStatus, type Handlers, type Req, type Reply } from './rpc.ts';
import { isVector } from './schema.ts';
import { DEFAULT_RESOURCE_GROUP, type SimCollection, type SimPartition, type SimulatorState } from './state.ts';

const sameSet = (a: readonly (string | number)[], b: readonly (string | number)[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

function resolveLoadFields(state: SimulatorState, c: SimCollection, names: readonly string[]): number[] | Status {
  const ids: number[] = [];
  for (const n of names) {
    const id = state.fieldId(c, n);
    if (id === undefined) return E.fieldNotFound(n);
    ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/** querycoord's replica placement: one group for all replicas, or one group per replica, each with enough query nodes. */
function checkPlacement(state: SimulatorState, rpc: string, groups: readonly string[], replicas: number, spawning: boolean): Status | undefined {
  if (groups.length !== 1 && groups.length !== replicas) return E.wrongResourceGroupCount(rpc);
  const perGroup = new Map<string, number>();
  for (const g of groups) perGroup.set(g, (perGroup.get(g) ?? 0) + (groups.length === 1 ? replicas : 1));
  for (const [g, n] of perGroup) {
    const nodes = state.resourceGroups.get(g);
    if (nodes === undefined) return E.resourceGroupNotFoundOnLoad(rpc, g);
    if (n > nodes) return E.nodesNotEnough(rpc, g, nodes, n, spawning);
  }
  return undefined;
}

/** Replicas and groups as querycoord defaults them: unset replicas = 1 (no database/collection load config in the simulator). */
function placement(req: Req): { replicas: number; groups: string[] } {
  const replicas = int(req.replica_number);
  const groups = list(req.resource_groups);
  return { replicas: replicas > 0 ? replicas : 1, groups: groups.length > 0 ? groups : [DEFAULT_RESOURCE_GROUP] };
}

function loadCollection(state: SimulatorState, req: Req, db: string): Status {
  const c = lookup(state, db, str(req.collection_name));
  if (isStatus(c)) return c;
  if (c.indexes.size === 0) return E.indexNotFound(c.name);
  const unindexed = state.vectorFieldsWithoutIndex(c);
  if (unindexed.length > 0) return E.noVectorIndexOnFields(unindexed);
  const fields = resolveLoadFields(state, c, list(req.load_fields));
  if (isStatus(fields)) return fields;
  if (req.refresh === true) return state.loads.refresh(c);
  const { replicas, groups } = placement(req);
  const load = c.load;
  if (load) {
    // 2.4.13+: other replicas or groups for a loaded (or loading) collection switch to UpdateLoadConfig.
    if (replicas !== load.replicas || !sameSet(groups, load.resourceGroups)) {
      const refused = checkPlacement(state, 'LoadCollection', groups, replicas, false);
      if (refused) return refused;
      state.loads.changeReplicas(c, replicas, groups);
      return E.OK;
    }
    if (!sameSet(fields, load.loadFieldIds)) return E.loadFieldsChanged(load.loadFieldIds, fields);
  } else {
    const refused = checkPlacement(state, 'LoadCollection', groups, replicas, true);
    if (refused) return refused;
  }
  const request: LoadRequest = { partitions: 'all', replicas, resourceGroups: groups, loadFieldIds: fields, skipDynamic: req.skip_load_dynamic_field === true };
  state.loads.start(c, request);
  return E.OK;
}

function loadPartitions(state: SimulatorState, req: Req, db: string): Status {
  const c = lookup(state, db, str(req.collection_name));
  if (isStatus(c)) return c;
  if (c.indexes.size === 0) return E.indexNotFound(c.name);
  // loadPartitionsTask only asks for an index on some vector field.
  if (!c.schema.fields.some((f) => isVector(f) && c.indexes.has(f.name))) return E.noVectorIndexOnCollection(c.name);
  const names = list(req.partition_names);
  const missing = names.find((n) => !c.partitions.has(n));
  if (missing !== undefined) return E.partitionNotFound(missing);
  if (names.length === 0) return E.noPartitionSpecified();
  const fields = resolveLoadFields(state, c, list(req.load_fields));
  if (isStatus(fields)) return fields;
  if (req.refresh === true) return state.loads.refresh(c);
  const { replicas, groups } = placement(req);
  const load = c.load;
  if (load) {
    if (replicas !== load.replicas) return E.partitionReplicasChanged(load.replicas, replicas);
    if (!sameSet(groups, load.resourceGroups)) return E.partitionResourceGroupsChanged(load.resourceGroups, groups);
    if (!sameSet(fields, load.loadFieldIds)) return E.partitionLoadFieldsChanged(load.loadFieldIds, fields);
  } else {
    const refused = checkPlacement(state, 'LoadPartitions', groups, replicas, true);
    if (refused) return refused;
  }
  state.loads.start(c, { partitions: names, replicas, resourceGroups: groups, loadFieldIds: fields, skipDynamic: req.skip_load_dynamic_field === true });
  return E.OK;
}

/** Progress of named partitions: unknown names and unloaded partitions are errors, as getPartitionProgress reports them. */
function partitionsProgress(state: SimulatorState, c: SimCollection, names: readonly string[]): number | Status {
  state.loads.settle(c);
  let sum = 0;
  for (const n of names) {
    const p = c.partitions.get(n);
    if (!p) return E.partitionNotFound(n);
    const pct = state.loads.partitionProgress(c, p);
    if (pct < 0) return E.partitionNotLoaded(p.id);
    sum += pct;
  }
  return Math.floor(sum / names.length);
}

function showCollections(state: SimulatorState, req: Req, db: string): Reply {
  const cols = state.databases.get(db);
  if (!cols) return withStatus(E.databaseNotFound(db));
  const names: string[] = [];
  const ids: string[] = [];
  const tso: string[] = [];
  const utc: string[] = [];
  if (req.type !== 'InMemory') {
    // Type All answers from the root coordinator: names and IDs, no load percentages (Milvus 2.4–2.6).
    for (const c of cols.values()) {
      names.push(c.name);
      ids.push(c.id);
      tso.push(c.createdTso);
      utc.push(c.createdUtcMs);
    }
    return withStatus(E.OK, { collection_names: names, collection_ids: ids, created_timestamps: tso, created_utc_timestamps: utc, inMemory_percentages: [], query_service_available: [] });
  }
  const asked = list(req.collection_names);
  const pct: string[] = [];
  const available: boolean[] = [];
  const add = (c: SimCollection, p: number): void => {
    names.push(c.name);
    ids.push(c.id);
    tso.push(c.createdTso);
    utc.push(c.createdUtcMs);
    pct.push(String(p));
    available.push(p >= 100);
  };
  if (asked.length === 0) {
    for (const c of cols.values()) {
      const p = state.loads.progress(c);
      if (p >= 0) add(c, p);
    }
  } else {
    for (const name of asked) {
      const c = cols.get(name);
      if (!c) return withStatus(E.collectionNotFound(db, name));
      const p = state.loads.progress(c);
      // The proxy re-raises querycoord's error with errors.New: the code becomes 65535.
      if (p < 0) return withStatus(c.failedLoad ? E.milvusStatus(65535, c.failedLoad.status.reason) : E.collectionNotLoadedByName(name));
      add(c, p);
    }
  }
  return withStatus(E.OK, { collection_names: names, collection_ids: ids, created_timestamps: tso, created_utc_timestamps: utc, inMemory_percentages: pct, query_service_available: available });
}

function showPartitions(state: SimulatorState, req: Req, db: string): Reply {
  const c = lookup(state, db, str(req.collection_name));
  if (isStatus(c)) return withStatus(c);
  const inMemory = req.type === 'InMemory';
  const asked = list(req.partition_names);
  let parts: SimPartition[] = [...c.partitions.values()];
  const pct: string[] = [];
  if (inMemory) {
    state.loads.settle(c);
    if (asked.length > 0) {
      parts = [];
      for (const n of asked) {
        const p = c.partitions.get(n);
        if (!p) return withStatus(E.partitionNotFound(n));
        if (p.loadStartedAt === undefined) return withStatus(E.partitionNotLoaded(p.id));
        parts.push(p);
      }
    } else parts = parts.filter((p) => p.loadStartedAt !== undefined);
    for (const p of parts) pct.push(String(state.loads.partitionProgress(c, p)));
  }
  return withStatus(E.OK, {
    partition_names: parts.map((p) => p.name),
    partitionIDs: parts.map((p) => p.id),
    created_timestamps: parts.map((p) => p.createdTso),
    created_utc_timestamps: parts.map((p) => p.createdUtcMs),
    inMemory_percentages: pct,
  });
}

export function loadHandlers(state: SimulatorState): Handlers {
  return {
    LoadCollection: (req, db) => bare(loadCollection(state, req, db)),
    LoadPartitions: (req, db) => bare(loadPartitions(state, req, db)),
    ReleaseCollection: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return bare(c);
      // Releasing a collection that is not loaded succeeds; it also clears a remembered load failure.
      state.loads.release(c);
      delete c.failedLoad;
      return bare(E.OK);
    },
    ReleasePartitions: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return bare(c);
      const names = list(req.partition_names);
      const missing = names.find((n) => !c.partitions.has(n));
      if (missing !== undefined) return bare(E.partitionNotFound(missing));
      state.loads.releasePartitions(c, names);
      delete c.failedLoad;
      return bare(E.OK);
    },
    GetLoadState: (req, db) => {
      const c = state.databases.get(db)?.get(str(req.collection_name));
      if (!c) return withStatus(E.OK, { state: 'LoadStateNotExist' });
      const parts = list(req.partition_names);
      if (parts.length > 0) {
        const p = partitionsProgress(state, c, parts);
        if (isStatus(p)) return p.code === 201 ? withStatus(E.OK, { state: 'LoadStateNotLoad' }) : withStatus(p);
        return withStatus(E.OK, { state: p >= 100 ? 'LoadStateLoaded' : 'LoadStateLoading' });
      }
      const p = state.loads.progress(c);
      if (p < 0 && c.failedLoad) return withStatus(c.failedLoad.status);
      return withStatus(E.OK, { state: state.loads.loadState(c) });
    },
    GetLoadingProgress: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c);
      const parts = list(req.partition_names);
      const p = parts.length > 0 ? partitionsProgress(state, c, parts) : state.loads.progress(c);
      if (isStatus(p)) return withStatus(p);
      if (p < 0) return withStatus(c.failedLoad?.status ?? E.collectionNotLoaded(c.id));
      return withStatus(E.OK, { progress: String(p), refresh_progress: c.load?.refreshed === true ? '100' : '0' });
    },
    ShowCollections: (req, db) => showCollections(state, req, db),
    ShowPartitions: (req, db) => showPartitions(state, req, db),
  };
}
