// Catalog RPCs: databases, collections, schemas, partitions, indexes, rows.
// Enough for tests to build what the operator then loads; Insert only counts rows.
import * as E from './errors.ts';
import { decodeSchema, type KeyValue, type Schema } from './protocol.ts';
import { bare, int, isStatus, list, lookup, str, withStatus, type Handlers, type Reply } from './rpc.ts';
import type { SimCollection, SimulatorState } from './state.ts';

function describeCollection(state: SimulatorState, c: SimCollection): Reply {
  return withStatus(E.OK, {
    schema: {
      name: c.schema.name ?? c.name,
      description: c.schema.description ?? '',
      enable_dynamic_field: c.schema.enable_dynamic_field ?? false,
      fields: c.schema.fields.map((f, i) => ({
        fieldID: String(state.fieldIds(c)[i]),
        name: f.name,
        is_primary_key: f.is_primary_key ?? false,
        description: f.description ?? '',
        data_type: f.data_type,
        type_params: f.type_params ?? [],
        index_params: [],
        autoID: f.autoID ?? false,
        state: 'FieldCreated',
        is_dynamic: f.is_dynamic ?? false,
      })),
    },
    collectionID: c.id,
    virtual_channel_names: [`by-dev-rootcoord-dml_0_${c.id}v0`],
    physical_channel_names: ['by-dev-rootcoord-dml_0'],
    created_timestamp: c.createdTso,
    created_utc_timestamp: c.createdUtcMs,
    shards_num: 1,
    aliases: [],
    start_positions: [],
    consistency_level: 'Bounded',
    collection_name: c.name,
    properties: [],
    db_name: c.db,
    num_partitions: String(c.partitions.size),
    db_id: state.databaseMeta.get(c.db)?.id ?? '0',
  });
}

/** Milvus adds the `$meta` JSON field to a schema with a dynamic field. */
function withDynamicField(schema: Schema): Schema {
  if (!schema.enable_dynamic_field || schema.fields.some((f) => f.is_dynamic)) return schema;
  return { ...schema, fields: [...schema.fields, { name: '$meta', data_type: 'JSON', is_dynamic: true, type_params: [] }] };
}

const sameFields = (a: Schema, b: Schema): boolean => a.fields.map((f) => `${f.name}:${f.data_type}`).join() === b.fields.map((f) => `${f.name}:${f.data_type}`).join();

export function catalogHandlers(state: SimulatorState): Handlers {
  return {
    ListDatabases: () => {
      const names = [...state.databases.keys()];
      return withStatus(E.OK, {
        db_names: names,
        created_timestamp: names.map((n) => state.databaseMeta.get(n)?.createdTso ?? '0'),
        db_ids: names.map((n) => state.databaseMeta.get(n)?.id ?? '0'),
      });
    },
    CreateDatabase: (req) => {
      const db = str(req.db_name);
      if (state.databases.has(db)) return bare(E.databaseExists(db));
      state.createDatabase(db);
      return bare(E.OK);
    },
    HasCollection: (req, db) => {
      if (!state.databases.has(db)) return withStatus(E.databaseNotFound(db), { value: false });
      return withStatus(E.OK, { value: state.collection(db, str(req.collection_name)) !== undefined });
    },
    CreateCollection: (req, db) => {
      if (!state.databases.has(db)) return bare(E.databaseNotFound(db));
      const name = str(req.collection_name);
      const schema = withDynamicField(decodeSchema(req.schema as Uint8Array));
      const existing = state.collection(db, name);
      // Creating the same collection again is idempotent in Milvus; a different schema is refused.
      if (existing) return bare(sameFields(existing.schema, schema) ? E.OK : E.collectionSchemaConflict(name));
      state.addCollection(db, name, schema, { indexed: false });
      return bare(E.OK);
    },
    DropCollection: (req, db) => {
      // Dropping a collection that is not there succeeds.
      state.dropCollection(db, str(req.collection_name));
      return bare(E.OK);
    },
    DescribeCollection: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      return isStatus(c) ? withStatus(c) : describeCollection(state, c);
    },
    GetCollectionStatistics: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c, { stats: [] });
      return withStatus(E.OK, { stats: [{ key: 'row_count', value: String(state.rowCount(c)) }] });
    },
    CreatePartition: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return bare(c);
      state.createPartition(c, str(req.partition_name));
      return bare(E.OK);
    },
    HasPartition: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c, { value: false });
      return withStatus(E.OK, { value: c.partitions.has(str(req.partition_name)) });
    },
    CreateIndex: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return bare(c);
      const field = str(req.field_name);
      if (state.fieldId(c, field) === undefined) return bare(E.fieldNotFound(field));
      state.createIndex(c, field, str(req.index_name) || field, (req.extra_params as KeyValue[] | undefined) ?? []);
      return bare(E.OK);
    },
    DescribeIndex: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c, { index_descriptions: [] });
      const byName = str(req.index_name);
      const byField = str(req.field_name);
      const found = [...c.indexes.values()].filter((i) => (!byName || i.name === byName) && (!byField || i.field === byField));
      if (found.length === 0) return withStatus(E.indexNotFound(c.name), { index_descriptions: [] });
      const rows = String(state.rowCount(c));
      return withStatus(E.OK, {
        index_descriptions: found.map((i) => ({
          index_name: i.name,
          indexID: i.id,
          params: i.params,
          field_name: i.field,
          indexed_rows: rows,
          total_rows: rows,
          state: 'Finished',
          index_state_fail_reason: '',
          pending_index_rows: '0',
        })),
      });
    },
    Insert: (req, db) => {
      const c = lookup(state, db, str(req.collection_name));
      if (isStatus(c)) return withStatus(c);
      const partition = str(req.partition_name) || '_default';
      if (!c.partitions.has(partition)) return withStatus(E.partitionNotFound(partition));
      // Rows are counted, not stored: the simulator holds no vectors.
      const n = int(req.num_rows);
      state.insertRows(c, n, partition);
      return withStatus(E.OK, { IDs: { int_id: { data: [] } }, succ_index: Array.from({ length: n }, (_, i) => i), err_index: [], insert_cnt: String(n), timestamp: String(state.now()) });
    },
    Flush: (req, db) => {
      const names = list(req.collection_names);
      const perCollection = <T>(v: T): Record<string, T> => Object.fromEntries(names.map((n) => [n, v]));
      const ts = String(BigInt(Math.floor(state.now())) << 18n);
      return withStatus(E.OK, { db_name: db, coll_segIDs: perCollection({ data: [] }), flush_coll_segIDs: perCollection({ data: [] }), coll_seal_times: perCollection(String(state.now())), coll_flush_ts: perCollection(ts) });
    },
    GetFlushState: () => withStatus(E.OK, { flushed: true }),
    GetFlushAllState: () => withStatus(E.OK, { flushed: true }),
  };
}
