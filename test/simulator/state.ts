// The simulator's in-memory Milvus: databases, collections, partitions,
// indexes, row counts, resource groups, query-node memory, and the direct
// controls tests and benchmarks use (bulk creation, capacity, releasing a
// collection behind the operator's back).
import type { Status } from './errors.ts';
import { LoadMachine, type LoadRecord, type LoadStateName } from './load-machine.ts';
import type { KeyValue, Schema, SchemaField } from './protocol.ts';
import { bytesPerRow, isVector, seedSchema, type FieldSeed } from './schema.ts';

export const DEFAULT_RESOURCE_GROUP = '__default_resource_group';

export interface SimPartition {
  id: string;
  name: string;
  rows: number;
  createdUtcMs: string;
  createdTso: string;
  /** Set while the partition is loading or loaded. */
  loadStartedAt?: number;
  /** Segment IDs handed out so far (stable across GetQuerySegmentInfo calls). */
  segmentIds?: string[];
}

export interface SimIndex {
  id: string;
  name: string;
  field: string;
  params: KeyValue[];
}

export interface SimCollection {
  id: string;
  db: string;
  name: string;
  createdUtcMs: string;
  createdTso: string;
  schema: Schema;
  partitions: Map<string, SimPartition>;
  /** By field name. */
  indexes: Map<string, SimIndex>;
  /** Memory of one loaded replica of the whole collection; when unset, rows × bytes per row of the loaded fields. */
  memBytes?: number;
  /** Size of one sealed segment in GetQuerySegmentInfo. */
  segmentMemBytes: number;
  load?: LoadRecord;
  /** A load querycoord cancelled for lack of memory, replayed until `until`. */
  failedLoad?: { status: Status; until: number };
}

export interface CollectionSeed {
  /** Dimension of the default `vec` FloatVector field (default 8). */
  dim?: number;
  /** Rows in the `_default` partition. */
  rows?: number;
  /** Fields instead of `id` + `vec`. */
  fields?: FieldSeed[];
  /** An index on every vector field (default true). */
  indexed?: boolean;
  /** Partitions besides `_default`. */
  partitions?: string[];
  /** Explicit memory of one loaded replica. */
  memBytes?: number;
  segmentMemBytes?: number;
  enableDynamicField?: boolean;
}

export interface SimulatorConfig {
  /** Clock milliseconds a load takes from 0 to 100% (0 = instant). */
  loadMillis: number;
  /** queryCoord.loadTimeoutSeconds: loads not done by then are cancelled (NotLoad). Infinity disables. */
  loadTimeoutMillis: number;
  /** How long a cancelled out-of-memory load's error is replayed: querycoord's FailedLoadCache expireTime (24 h). */
  failedLoadCacheMillis: number;
  /** Query-node memory for all loaded replicas. */
  capacityBytes: number;
  /** Which of the two real out-of-memory errors a cancelled load replays. */
  oomError: 'memory-limit' | 'segment-size';
  /** Version GetVersion reports. */
  version: string;
}

const FIELD_ID_BASE = 100;
const MiB = 1024 * 1024;

export class SimulatorState {
  readonly databases = new Map<string, Map<string, SimCollection>>();
  readonly databaseMeta = new Map<string, { id: string; createdTso: string }>();
  /** Collections by ID (GetReplicas asks by ID). */
  readonly byId = new Map<string, SimCollection>();
  /** Query nodes per resource group. */
  readonly resourceGroups = new Map<string, number>([[DEFAULT_RESOURCE_GROUP, 1]]);
  readonly config: SimulatorConfig = {
    loadMillis: 200,
    loadTimeoutMillis: 600_000,
    failedLoadCacheMillis: 24 * 3_600_000,
    capacityBytes: Number.POSITIVE_INFINITY,
    oomError: 'memory-limit',
    version: 'v2.4.23',
  };
  readonly loads: LoadMachine;
  now: () => number;
  /** Stuck-load faults (set through FaultInjector.stuckLoads). */
  stuckGlobal: number | undefined;
  readonly stuckPerCollection = new Map<string, number>();
  private used = 0;
  private nextId = 0;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.loads = new LoadMachine(this);
    this.createDatabase('default');
  }

  /** A fresh int64 ID (as Milvus's allocator hands out: large, increasing). */
  allocId(): string {
    this.nextId += 1;
    return `45${String(this.nextId).padStart(16, '0')}`;
  }

  private stamps(): { createdUtcMs: string; createdTso: string } {
    const ms = this.now();
    return { createdUtcMs: String(ms), createdTso: String(BigInt(Math.floor(ms)) << 18n) };
  }

  // --- memory ---------------------------------------------------------------

  get usedBytes(): number {
    return this.used;
  }

  addUsedBytes(delta: number): void {
    this.used = Math.max(0, this.used + delta);
  }

  setCapacityBytes(bytes: number): void {
    this.config.capacityBytes = bytes;
  }

  /** Query-node memory for all loaded replicas (same as config.capacityBytes). */
  get capacityBytes(): number {
    return this.config.capacityBytes;
  }

  set capacityBytes(bytes: number) {
    this.config.capacityBytes = bytes;
  }

  /** Memory of one replica of the given partitions (all by default), for the loaded fields. */
  memoryOf(c: SimCollection, parts?: readonly SimPartition[], loadFieldIds: readonly number[] = [], rowsOverride?: number): number {
    const all = [...c.partitions.values()];
    const chosen = parts ?? all;
    const rows = rowsOverride ?? chosen.reduce((n, p) => n + p.rows, 0);
    if (c.memBytes !== undefined) {
      const total = all.reduce((n, p) => n + p.rows, 0);
      const share = total > 0 ? rows / total : chosen.length / all.length;
      return Math.round(c.memBytes * share);
    }
    const fields = loadFieldIds.length === 0 ? c.schema.fields : c.schema.fields.filter((_, i) => loadFieldIds.includes(FIELD_ID_BASE + i));
    return rows * bytesPerRow(fields);
  }

  // --- catalog ----------------------------------------------------------------

  createDatabase(db: string): void {
    if (this.databases.has(db)) return;
    this.databases.set(db, new Map());
    this.databaseMeta.set(db, { id: db === 'default' ? '1' : this.allocId(), createdTso: this.stamps().createdTso });
  }

  collection(db: string, name: string): SimCollection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Field ID of a schema field, as DescribeCollection reports it. */
  fieldId(c: SimCollection, name: string): number | undefined {
    const i = c.schema.fields.findIndex((f) => f.name === name);
    return i < 0 ? undefined : FIELD_ID_BASE + i;
  }

  fieldIds(c: SimCollection): number[] {
    return c.schema.fields.map((_, i) => FIELD_ID_BASE + i);
  }

  /** Adds a collection with the given schema (CreateCollection and the seeding helpers). */
  addCollection(db: string, name: string, schema: Schema, seed: CollectionSeed = {}): SimCollection {
    this.createDatabase(db);
    const stamps = this.stamps();
    const c: SimCollection = {
      id: this.allocId(),
      db,
      name,
      ...stamps,
      schema,
      partitions: new Map(),
      indexes: new Map(),
      segmentMemBytes: seed.segmentMemBytes ?? 512 * MiB,
      ...(seed.memBytes !== undefined ? { memBytes: seed.memBytes } : {}),
    };
    for (const p of ['_default', ...(seed.partitions ?? [])]) c.partitions.set(p, { id: this.allocId(), name: p, rows: 0, ...stamps });
    const dflt = c.partitions.get('_default');
    if (dflt) dflt.rows = seed.rows ?? 0;
    if (seed.indexed ?? true) for (const f of schema.fields) if (isVector(f)) this.createIndex(c, f.name);
    this.databases.get(db)?.set(name, c);
    this.byId.set(c.id, c);
    return c;
  }

  /** A collection `id` Int64 + `vec` FloatVector(dim) (or `fields`), indexed unless `indexed: false`. */
  createCollection(db: string, name: string, seed: CollectionSeed = {}): SimCollection {
    const schema = seedSchema(name, seed.dim ?? 8, seed.fields);
    schema.enable_dynamic_field = seed.enableDynamicField ?? false;
    return this.addCollection(db, name, schema, seed);
  }

  /** `count` collections named `${prefix}${i}` (i from 0), for scale tests. */
  createCollections(db: string, count: number, seed: CollectionSeed & { prefix?: string } = {}): void {
    const prefix = seed.prefix ?? 'collection_';
    for (let i = 0; i < count; i++) this.createCollection(db, `${prefix}${i}`, seed);
  }

  /** Older spelling of createCollections. */
  createMany(db: string, prefix: string, count: number, seed: CollectionSeed = {}): void {
    this.createCollections(db, count, { ...seed, prefix });
  }

  createIndex(c: SimCollection, field: string, name = field, params: KeyValue[] = []): void {
    if (c.indexes.has(field)) return;
    c.indexes.set(field, { id: this.allocId(), name, field, params });
  }

  createPartition(c: SimCollection, name: string): SimPartition {
    const existing = c.partitions.get(name);
    if (existing) return existing;
    const p: SimPartition = { id: this.allocId(), name, rows: 0, ...this.stamps() };
    c.partitions.set(name, p);
    this.loads.onPartitionCreated(c, p);
    return p;
  }

  insertRows(c: SimCollection, rows: number, partition = '_default'): void {
    const p = c.partitions.get(partition);
    if (!p) return;
    p.rows += rows;
    this.loads.onRowsInserted(c, p, rows);
  }

  rowCount(c: SimCollection): number {
    let n = 0;
    for (const p of c.partitions.values()) n += p.rows;
    return n;
  }

  dropCollection(db: string, name: string): void {
    const c = this.collection(db, name);
    if (!c) return;
    this.loads.release(c);
    this.databases.get(db)?.delete(name);
    this.byId.delete(c.id);
  }

  vectorFieldsWithoutIndex(c: SimCollection): string[] {
    return c.schema.fields.filter((f: SchemaField) => isVector(f) && !c.indexes.has(f.name)).map((f) => f.name);
  }

  // --- load state -------------------------------------------------------------

  progress(c: SimCollection): number {
    return this.loads.progress(c);
  }

  loadState(c: SimCollection | undefined): LoadStateName {
    return this.loads.loadState(c);
  }

  stuckAt(c: SimCollection): number | undefined {
    return this.stuckPerCollection.get(`${c.db}/${c.name}`);
  }

  /** Loads directly, without an RPC (seeding benchmarks); `done` makes it Loaded at once. */
  loadDirectly(db: string, name: string, opts: { replicas?: number; done?: boolean; partitions?: string[] } = {}): void {
    const c = this.collection(db, name);
    if (!c) throw new Error(`simulator: no collection ${db}/${name} to load`);
    this.loads.start(c, { partitions: opts.partitions ?? 'all', replicas: opts.replicas ?? 1, resourceGroups: [DEFAULT_RESOURCE_GROUP], loadFieldIds: [], skipDynamic: false });
    if (opts.done ?? true) for (const p of c.partitions.values()) if (p.loadStartedAt !== undefined) p.loadStartedAt = this.now() - this.config.loadMillis;
  }

  /** Releases a collection as someone else would (a person, a script, a Milvus restart). */
  releaseBehindOperatorsBack(db: string, name: string): void {
    const c = this.collection(db, name);
    if (c) this.loads.release(c);
  }

  /** Query nodes in a resource group (creates the group if needed). */
  setQueryNodes(nodes: number, resourceGroup = DEFAULT_RESOURCE_GROUP): void {
    this.resourceGroups.set(resourceGroup, nodes);
  }

  /** `n` stable IDs from a lazily grown list. */
  stableIds(list: string[], n: number): string[] {
    while (list.length < n) list.push(this.allocId());
    return list.slice(0, n);
  }
}
