// The simulator's in-memory Milvus: databases, collections, partitions,
// indexes, row counts, a load state machine on an injectable clock, replicas,
// resource groups and query-node memory accounting.
import type { Schema, SchemaField } from './protocol.ts';

export interface LoadRecord {
  startedAt: number;
  replicas: number;
  resourceGroups: string[];
  partitions: Set<string> | 'all';
  /** Once the load is this far, it stops (a stuck load); undefined = never stuck. */
  stuckAt?: number;
}

export interface SimCollection {
  id: string;
  db: string;
  name: string;
  createdAt: number;
  schema: Schema;
  rows: number;
  indexed: boolean;
  partitions: Map<string, string>; // name -> id
  /** Memory of one loaded replica; when unset, rows × bytes per row. */
  memBytes?: number;
  load?: LoadRecord;
}

export interface CollectionSeed {
  dim?: number;
  rows?: number;
  indexed?: boolean;
  partitions?: string[];
  memBytes?: number;
  fields?: SchemaField[];
}

const FIXED: Readonly<Record<string, number>> = { Bool: 1, Int8: 1, Int16: 2, Int32: 4, Int64: 8, Float: 4, Double: 8 };

export function bytesPerRow(schema: Schema): number {
  let total = 0;
  for (const f of schema.fields) {
    const dim = Number(f.type_params?.find((p) => p.key === 'dim')?.value ?? 0);
    const maxLen = Number(f.type_params?.find((p) => p.key === 'max_length')?.value ?? 64);
    if (FIXED[f.data_type] !== undefined) total += FIXED[f.data_type] ?? 0;
    else if (f.data_type === 'FloatVector') total += dim * 4;
    else if (f.data_type === 'Float16Vector' || f.data_type === 'BFloat16Vector') total += dim * 2;
    else if (f.data_type === 'BinaryVector') total += Math.ceil(dim / 8);
    else if (f.data_type === 'VarChar' || f.data_type === 'String') total += Math.ceil(maxLen / 2);
    else total += 64;
  }
  return total;
}

export class SimulatorState {
  readonly databases = new Map<string, Map<string, SimCollection>>([['default', new Map()]]);
  /** Query-node memory; loading past it fails like Milvus does. */
  capacityBytes = Number.MAX_SAFE_INTEGER;
  /** Query nodes: more replicas than nodes fails with "nodes not enough". */
  queryNodes = 1;
  /** How long a load takes, in clock milliseconds. */
  loadMillis = 200;
  /** New loads stop at this percentage (a stuck load); undefined = loads finish. */
  stuckLoadsAt: number | undefined;
  resourceGroups = new Set(['__default_resource_group']);
  now: () => number;
  private nextId = 450_000_000_000_000_000n;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  id(): string {
    this.nextId += 1n;
    return String(this.nextId);
  }

  createDatabase(db: string): void {
    if (!this.databases.has(db)) this.databases.set(db, new Map());
  }

  collection(db: string, name: string): SimCollection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Creates a collection directly (tests and benchmarks); returns it. */
  createCollection(db: string, name: string, seed: CollectionSeed = {}): SimCollection {
    this.createDatabase(db);
    const dim = seed.dim ?? 8;
    const schema: Schema = {
      name,
      fields: seed.fields ?? [
        { name: 'id', data_type: 'Int64', is_primary_key: true, type_params: [] },
        { name: 'vec', data_type: 'FloatVector', type_params: [{ key: 'dim', value: String(dim) }] },
      ],
    };
    return this.addCollection(db, name, schema, seed);
  }

  addCollection(db: string, name: string, schema: Schema, seed: CollectionSeed = {}): SimCollection {
    const c: SimCollection = {
      id: this.id(),
      db,
      name,
      createdAt: this.now(),
      schema,
      rows: seed.rows ?? 0,
      indexed: seed.indexed ?? true,
      partitions: new Map([['_default', this.id()], ...(seed.partitions ?? []).map((p): [string, string] => [p, this.id()])]),
      ...(seed.memBytes !== undefined ? { memBytes: seed.memBytes } : {}),
    };
    this.databases.get(db)?.set(name, c);
    return c;
  }

  /** Many collections at once, for scale tests: `${prefix}${i}`. */
  createMany(db: string, prefix: string, count: number, seed: CollectionSeed = {}): void {
    for (let i = 0; i < count; i++) this.createCollection(db, `${prefix}${i}`, seed);
  }

  memoryOf(c: SimCollection): number {
    return c.memBytes ?? c.rows * bytesPerRow(c.schema);
  }

  /** Memory all loads occupy now (loading ones included), replicas counted. */
  usedBytes(except?: SimCollection): number {
    let used = 0;
    for (const db of this.databases.values()) {
      for (const c of db.values()) if (c.load && c !== except) used += this.memoryOf(c) * c.load.replicas;
    }
    return used;
  }

  progress(c: SimCollection): number {
    if (!c.load) return 0;
    const p = this.loadMillis <= 0 ? 100 : Math.floor(((this.now() - c.load.startedAt) / this.loadMillis) * 100);
    const capped = Math.max(0, Math.min(100, p));
    return c.load.stuckAt !== undefined ? Math.min(capped, c.load.stuckAt) : capped;
  }

  loadState(c: SimCollection): 'LoadStateNotLoad' | 'LoadStateLoading' | 'LoadStateLoaded' {
    if (!c.load) return 'LoadStateNotLoad';
    return this.progress(c) >= 100 ? 'LoadStateLoaded' : 'LoadStateLoading';
  }

  /** Releases a collection as if someone did it behind the operator's back. */
  release(db: string, name: string): void {
    const c = this.collection(db, name);
    if (c) delete c.load;
  }
}
