// The load state machine of one collection, on an injectable clock:
// NotExist / NotLoad / Loading / Loaded, progress 0 -> 100 over `loadMillis`,
// capped by stuck-load faults and by memory (a load that does not fit stalls
// at the share that fits, as query nodes refuse the remaining segments), and
// cancelled after `loadTimeoutMillis` like queryCoord.loadTimeoutSeconds does.
// A cancelled out-of-memory load leaves its error for GetLoadingProgress /
// GetLoadState to replay, as querycoord's GlobalFailedLoadCache does.
import * as E from './errors.ts';
import type { Status } from './errors.ts';
import type { SimCollection, SimPartition, SimulatorState } from './state.ts';

export interface LoadRecord {
  /** LoadCollection loads every partition, present and future; LoadPartitions the named ones. */
  type: 'collection' | 'partitions';
  replicas: number;
  resourceGroups: string[];
  /** Field IDs asked with load_fields, sorted; empty = all fields. */
  loadFieldIds: number[];
  skipDynamic: boolean;
  /** When the current load job started (for the load timeout). */
  startedAt: number;
  /** Progress never passes this: below 100 when memory ran out. */
  fitPercent: number;
  oom?: { predictBytes: number; limitBytes: number; usedBytes: number };
  /** Stuck-load fault active when the load started. */
  stuckAt?: number;
  /** Bytes this load holds in query-node memory (all replicas). */
  reservedBytes: number;
  refreshed: boolean;
  /** Restarts this load lived through while not fully loaded (querycoord's RecoverTimes). */
  recoverTimes?: number;
  /** Replica IDs handed out so far (stable across GetReplicas calls). */
  replicaIds?: string[];
}

export type LoadStateName = 'LoadStateNotExist' | 'LoadStateNotLoad' | 'LoadStateLoading' | 'LoadStateLoaded';

export interface LoadRequest {
  partitions: 'all' | string[];
  replicas: number;
  resourceGroups: string[];
  loadFieldIds: number[];
  skipDynamic: boolean;
}

/** queryCoord.collectionRecoverTimes: restarts a load that is still Loading survives before querycoord releases it. */
export const COLLECTION_RECOVER_TIMES = 3;

export class LoadMachine {
  readonly state: SimulatorState;

  constructor(state: SimulatorState) {
    this.state = state;
  }

  partitionProgress(c: SimCollection, p: SimPartition): number {
    const load = c.load;
    if (!load || p.loadStartedAt === undefined) return -1;
    const { loadMillis } = this.state.config;
    const elapsed = this.state.now() - p.loadStartedAt;
    let pct = loadMillis <= 0 ? 100 : Math.floor((elapsed / loadMillis) * 100);
    pct = Math.max(0, Math.min(100, pct, load.fitPercent));
    const stuck = this.state.stuckAt(c) ?? load.stuckAt;
    return stuck === undefined ? pct : Math.min(pct, stuck);
  }

  /** Collection load percentage: the mean over its loading/loaded partitions; -1 when not loaded. */
  progress(c: SimCollection): number {
    this.settle(c);
    if (!c.load) return -1;
    let sum = 0;
    let n = 0;
    for (const p of c.partitions.values()) {
      if (p.loadStartedAt === undefined) continue;
      sum += this.partitionProgress(c, p);
      n++;
    }
    return n === 0 ? 0 : Math.floor(sum / n);
  }

  loadState(c: SimCollection | undefined): LoadStateName {
    if (!c) return 'LoadStateNotExist';
    const p = this.progress(c);
    if (p < 0) return 'LoadStateNotLoad';
    return p >= 100 ? 'LoadStateLoaded' : 'LoadStateLoading';
  }

  /** Applies the load timeout and expires remembered failures; called before every read. */
  settle(c: SimCollection): void {
    const now = this.state.now();
    if (c.failedLoad && now >= c.failedLoad.until) delete c.failedLoad;
    const load = c.load;
    if (!load || now - load.startedAt < this.state.config.loadTimeoutMillis) return;
    for (const p of c.partitions.values()) if (p.loadStartedAt !== undefined && this.partitionProgress(c, p) < 100) return this.cancel(c);
  }

  private cancel(c: SimCollection): void {
    const oom = c.load?.oom;
    this.release(c);
    if (oom) {
      const status = E.outOfMemory(this.state.config.oomError, oom.predictBytes, oom.limitBytes, oom.usedBytes);
      c.failedLoad = { status, until: this.state.now() + this.state.config.failedLoadCacheMillis };
    }
  }

  release(c: SimCollection): void {
    if (c.load) this.state.addUsedBytes(-c.load.reservedBytes);
    delete c.load;
    for (const p of c.partitions.values()) delete p.loadStartedAt;
  }

  /** Releases some partitions; the last one releases the collection. */
  releasePartitions(c: SimCollection, names: readonly string[]): void {
    const load = c.load;
    if (!load) return;
    for (const name of names) {
      const p = c.partitions.get(name);
      if (p?.loadStartedAt === undefined) continue;
      const freed = Math.min(load.reservedBytes, this.state.memoryOf(c, [p], load.loadFieldIds) * load.replicas);
      load.reservedBytes -= freed;
      this.state.addUsedBytes(-freed);
      delete p.loadStartedAt;
    }
    load.type = 'partitions';
    if (![...c.partitions.values()].some((p) => p.loadStartedAt !== undefined)) this.release(c);
  }

  /** Starts loading the partitions of `req` that are not loaded yet, reserving their memory. */
  start(c: SimCollection, req: LoadRequest): void {
    const now = this.state.now();
    delete c.failedLoad;
    const load: LoadRecord = c.load ?? {
      type: req.partitions === 'all' ? 'collection' : 'partitions',
      replicas: req.replicas,
      resourceGroups: req.resourceGroups,
      loadFieldIds: req.loadFieldIds,
      skipDynamic: req.skipDynamic,
      startedAt: now,
      fitPercent: 100,
      reservedBytes: 0,
      refreshed: false,
      ...(this.state.stuckGlobal !== undefined ? { stuckAt: this.state.stuckGlobal } : {}),
    };
    if (req.partitions === 'all') load.type = 'collection';
    const names = req.partitions === 'all' ? [...c.partitions.keys()] : req.partitions;
    const added = names.map((n) => c.partitions.get(n)).filter((p): p is SimPartition => p !== undefined && p.loadStartedAt === undefined);
    c.load = load;
    if (added.length === 0) return;
    load.startedAt = now;
    for (const p of added) p.loadStartedAt = now;
    this.reserve(load, this.state.memoryOf(c, added, load.loadFieldIds) * load.replicas);
  }

  /** New partition of a collection loaded with LoadCollection: Milvus loads it too. */
  onPartitionCreated(c: SimCollection, p: SimPartition): void {
    if (c.load?.type !== 'collection') return;
    p.loadStartedAt = this.state.now();
  }

  /** Rows inserted into a loaded collection grow its memory (growing segments). */
  onRowsInserted(c: SimCollection, p: SimPartition, rows: number): void {
    const load = c.load;
    if (!load || p.loadStartedAt === undefined) return;
    const extra = this.state.memoryOf(c, [p], load.loadFieldIds, rows) * load.replicas;
    load.reservedBytes += extra;
    this.state.addUsedBytes(extra);
  }

  /** 2.4.13+: LoadCollection with other replicas/resource groups on a loaded collection updates the load config in place. */
  changeReplicas(c: SimCollection, replicas: number, resourceGroups: string[]): void {
    const load = c.load;
    if (!load) return;
    const perReplica = load.reservedBytes / load.replicas;
    const next = perReplica * replicas;
    this.state.addUsedBytes(next - load.reservedBytes);
    load.reservedBytes = next;
    load.replicas = replicas;
    load.resourceGroups = resourceGroups;
  }

  private reserve(load: LoadRecord, needed: number): void {
    const { capacityBytes } = this.state.config;
    const used = this.state.usedBytes;
    const free = Math.max(0, capacityBytes - used);
    if (needed <= free) {
      load.reservedBytes += needed;
      this.state.addUsedBytes(needed);
      return;
    }
    // Query nodes load the segments that fit and refuse the rest: the load stalls below 100%.
    load.reservedBytes += free;
    this.state.addUsedBytes(free);
    load.fitPercent = Math.min(load.fitPercent, Math.min(99, Math.floor((free / needed) * 100)));
    load.oom = { predictBytes: used + needed, limitBytes: capacityBytes, usedBytes: used };
  }

  /**
   * After a Milvus restart (querycoord CollectionManager.Recover): loads are
   * kept in the meta store, but the query nodes lost their segments, so each
   * one loads again from 0%. One that was still Loading counts a recovery and
   * is released after COLLECTION_RECOVER_TIMES. The failed-load cache lives
   * in memory: it is gone.
   */
  recover(c: SimCollection): void {
    delete c.failedLoad;
    this.settle(c);
    const load = c.load;
    if (!load) return;
    if (this.loadState(c) !== 'LoadStateLoaded') {
      load.recoverTimes = (load.recoverTimes ?? 0) + 1;
      if (load.recoverTimes > COLLECTION_RECOVER_TIMES) return this.release(c);
    }
    const now = this.state.now();
    load.startedAt = now;
    for (const p of c.partitions.values()) if (p.loadStartedAt !== undefined) p.loadStartedAt = now;
  }

  recoverAll(): void {
    for (const c of this.state.byId.values()) this.recover(c);
  }

  /** A refresh of a loaded collection; refused (real text) while not fully loaded. */
  refresh(c: SimCollection): Status {
    const state = this.loadState(c);
    if (state !== 'LoadStateLoaded') return E.refreshNotLoaded(c.id, state === 'LoadStateLoading');
    if (c.load) c.load.refreshed = true;
    return E.OK;
  }
}
