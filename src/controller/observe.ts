// One look at Milvus per database: the collection list, load state (from
// the list's percentages where the server gives them, else one in-memory
// listing), and only where needed: partitions (for partition policies),
// replicas (for policies that set replicas or resource groups) and memory
// estimates (when a budget applies). Schema and row counts are cached, so
// RPCs per resync grow with databases, not with collections.
import { INDEX_FACTOR } from '../milvus/schema-size.ts';
import { ADVICE, MilvusError } from '../milvus/errors.ts';
import type { CollectionListing, MilvusPort, PartitionListing } from '../milvus/port.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { actsOnPartitions } from '../planner/partitions.ts';
import { selects } from '../planner/select.ts';
import type { ObservedCollection, ObservedDatabase, ObservedLoadState, ObservedPartition } from '../planner/types.ts';

export interface DatabaseNeeds {
  readonly database: string;
  /** Collections some policy acts on by partition. */
  readonly partitionsFor: (name: string) => boolean;
  /** Collections whose replicas/resource groups must be compared with a policy. */
  readonly replicasFor: (name: string) => boolean;
  /** Collections a budget needs an estimate for. */
  readonly estimateFor: (name: string) => boolean;
}

interface CacheEntry<T> {
  value: T;
  at: number;
}

/**
 * What to look at beyond load states in one database, given the policies
 * that use it: partitions, replicas and size estimates only where some
 * policy needs them (the reconciler and `plan` must observe alike).
 */
export function needsFor(database: string, users: readonly { policy: CollectionLoadPolicy }[], budgeted: boolean): DatabaseNeeds {
  const byPartition = users.filter((u) => actsOnPartitions(u.policy));
  const byReplicas = users.filter((u) => (u.policy.spec.load?.replicas ?? 1) > 1 || (u.policy.spec.load?.resourceGroups?.length ?? 0) > 0);
  return {
    database,
    partitionsFor: (name: string) => byPartition.some((u) => selects(u.policy, name)),
    replicasFor: (name: string) => byReplicas.some((u) => selects(u.policy, name)),
    estimateFor: (name: string) => budgeted && users.some((u) => u.policy.spec.load?.memoryEstimate === undefined && selects(u.policy, name)),
  };
}

/** Schema facts change rarely; row counts and measured sizes slowly. */
export class EstimateCache {
  readonly ttlMs: number;
  private readonly bytesPerRow = new Map<string, CacheEntry<{ id: string; bytesPerRow: number }>>();
  private readonly rows = new Map<string, CacheEntry<number>>();
  private readonly measured = new Map<string, CacheEntry<number | undefined>>();

  constructor(ttlMs = 5 * 60_000) {
    this.ttlMs = ttlMs;
  }

  async schemaBytes(port: MilvusPort, db: string, name: string, now: number): Promise<number> {
    const key = `${db}/${name}`;
    let d = this.bytesPerRow.get(key);
    if (!d) {
      d = { value: await port.describe(db, name), at: now };
      this.bytesPerRow.set(key, d);
    }
    let r = this.rows.get(key);
    if (!r || now - r.at > this.ttlMs) {
      r = { value: await port.rowCount(db, name), at: now };
      this.rows.set(key, r);
    }
    return Math.ceil(d.value.bytesPerRow * r.value * INDEX_FACTOR);
  }

  async measuredBytes(port: MilvusPort, db: string, name: string, now: number): Promise<number | undefined> {
    const key = `${db}/${name}`;
    let m = this.measured.get(key);
    if (!m || now - m.at > this.ttlMs) {
      m = { value: await port.segmentMemory(db, name), at: now };
      this.measured.set(key, m);
    }
    return m.value;
  }

  async collectionId(port: MilvusPort, db: string, name: string, now: number): Promise<string> {
    const key = `${db}/${name}`;
    let d = this.bytesPerRow.get(key);
    if (!d) {
      d = { value: await port.describe(db, name), at: now };
      this.bytesPerRow.set(key, d);
    }
    return d.value.id;
  }

  forget(db: string, name: string): void {
    const key = `${db}/${name}`;
    this.bytesPerRow.delete(key);
    this.rows.delete(key);
    this.measured.delete(key);
  }
}

function stateOf(percent: number | undefined): ObservedLoadState {
  if (percent === undefined) return 'NotLoad';
  return percent >= 100 ? 'Loaded' : 'Loading';
}

export function failureOf(e: unknown): { ok: false; reason: string; message: string; class?: 'Terminal' | 'Retryable' } {
  // The class decides Stalled: bad credentials or missing privileges wait for a person.
  if (e instanceof MilvusError) return { ok: false, reason: e.reason, message: `${e.message} (${e.method}); ${ADVICE[e.reason]}`, class: e.kind === 'terminal' ? 'Terminal' : 'Retryable' };
  return { ok: false, reason: 'MilvusError', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Whether a server puts load percentages in its full listing (Lite does,
 * standalone 2.3.5 does not): learned from its first listing, so that later
 * looks at a server that needs the in-memory listing too ask for both at
 * once instead of one after the other.
 */
const percentInFullListing = new WeakMap<MilvusPort, boolean>();

async function listings(port: MilvusPort, database: string): Promise<{ listed: CollectionListing[]; percent: Map<string, number> }> {
  const all = port.listCollections(database);
  // Asked at once: a rejection of the second is read only when it is used.
  const loaded = percentInFullListing.get(port) === false ? port.listLoaded(database) : undefined;
  loaded?.catch(() => undefined);
  const listed = await all;
  const percentInList = listed.length > 0 && listed.every((c) => c.loadedPercent !== undefined);
  if (listed.length > 0) percentInFullListing.set(port, percentInList);
  // Milvus Lite reports 0 or 100 here; a 0 is "not loaded".
  if (percentInList) return { listed, percent: new Map(listed.filter((c) => (c.loadedPercent ?? 0) > 0).map((c) => [c.name, c.loadedPercent ?? 0])) };
  return { listed, percent: new Map((await (loaded ?? port.listLoaded(database))).map((c) => [c.name, c.loadedPercent ?? 0])) };
}

export async function observeDatabase(port: MilvusPort, needs: DatabaseNeeds, cache: EstimateCache, now: number): Promise<ObservedDatabase> {
  try {
    const { listed, percent } = await listings(port, needs.database);
    const collections = new Map<string, ObservedCollection>();
    for (const c of listed) {
      const p = percent.get(c.name);
      const base: ObservedCollection = { name: c.name, loadState: stateOf(p), progress: p ?? 0 };
      // Most collections need nothing more: no promise per collection for them.
      collections.set(c.name, needsMore(base.name, needs) ? await enrich(base, port, needs, cache, now) : base);
    }
    return { ok: true, collections };
  } catch (e: unknown) {
    return failureOf(e);
  }
}

function needsMore(name: string, needs: DatabaseNeeds): boolean {
  return needs.partitionsFor(name) || needs.replicasFor(name) || needs.estimateFor(name);
}

function partitionOf(p: PartitionListing): ObservedPartition {
  const loadState = p.loadedPercent >= 100 ? 'Loaded' : p.loadedPercent > 0 ? 'Loading' : 'NotLoad';
  return { loadState, progress: p.loadedPercent, ...(p.createdAt !== undefined ? { createdAt: p.createdAt } : {}) };
}

async function enrich(base: ObservedCollection, port: MilvusPort, needs: DatabaseNeeds, cache: EstimateCache, now: number): Promise<ObservedCollection> {
  const db = needs.database;
  let out: ObservedCollection = base;
  if (needs.partitionsFor(base.name)) {
    const parts = await port.listPartitions(db, base.name);
    const partitions = new Map<string, ObservedPartition>(parts.map((p) => [p.name, partitionOf(p)]));
    out = { ...out, partitions };
  }
  if (base.loadState === 'Loaded' && needs.replicasFor(base.name)) {
    const info = await port.replicas(db, await cache.collectionId(port, db, base.name, now));
    if (info) out = { ...out, replicas: info.replicas, resourceGroups: info.resourceGroups };
  }
  if (needs.estimateFor(base.name)) {
    const schemaBytes = await cache.schemaBytes(port, db, base.name, now);
    const measuredBytes = base.loadState === 'Loaded' ? await cache.measuredBytes(port, db, base.name, now) : undefined;
    out = { ...out, schemaBytes, ...(measuredBytes !== undefined ? { measuredBytes } : {}) };
  }
  return out;
}
