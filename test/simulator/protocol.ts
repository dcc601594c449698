// The Milvus protocol, from the definitions the Node SDK itself ships, so the
// simulator speaks exactly what the operator's client speaks.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const milvusJson = (require('@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus.js') as { default: protobuf.INamespace }).default;
const schemaJson = (require('@zilliz/milvus2-sdk-node/dist/milvus/proto-json/schema.base.js') as { default: protobuf.INamespace }).default;

const definition = fromJSON(milvusJson, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as { milvus: { proto: { milvus: { MilvusService: grpc.ServiceClientConstructor } } } };

export const milvusService: grpc.ServiceDefinition = loaded.milvus.proto.milvus.MilvusService.service;

const schemaRoot = protobuf.Root.fromJSON(schemaJson);
const CollectionSchema = schemaRoot.lookupType('milvus.proto.schema.CollectionSchema');

export interface SchemaField {
  name: string;
  data_type: string;
  is_primary_key?: boolean;
  autoID?: boolean;
  type_params?: { key: string; value: string }[];
}

export interface Schema {
  name?: string;
  description?: string;
  fields: SchemaField[];
  enable_dynamic_field?: boolean;
}

const snake = (k: string): string => (k === 'fieldID' || k === 'autoID' ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
}

/** CreateCollection carries the schema as serialized bytes; protobufjs decodes to camelCase, the wire JSON is snake_case. */
export function decodeSchema(bytes: Uint8Array): Schema {
  return snakeKeys(CollectionSchema.toObject(CollectionSchema.decode(bytes), { enums: String, longs: String, defaults: true })) as Schema;
}
