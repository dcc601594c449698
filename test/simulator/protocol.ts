// The Milvus protocol, from the definitions the Node SDK itself ships
// (dist/milvus/proto-json), loaded the way the SDK loads them (utils/Grpc.js
// getGRPCService: proto-loader fromJSON + grpc-js loadPackageDefinition, with
// GRPCClient's LOADER_OPTIONS), so the simulator speaks exactly what the
// operator's client speaks.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type * as Protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const sdkDir = require.resolve('@zilliz/milvus2-sdk-node');
// The SDK's own protobufjs (as BaseClient.js uses it to encode CreateCollection's schema), not a copy of ours.
const sdkRequire = createRequire(sdkDir);
const protobuf = sdkRequire('protobufjs') as typeof Protobuf;
const milvusJson = (sdkRequire('./proto-json/milvus.js') as { default: Protobuf.INamespace }).default;
const schemaJson = (sdkRequire('./proto-json/schema.base.js') as { default: Protobuf.INamespace }).default;

/** GRPCClient.LOADER_OPTIONS in the SDK. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

const definition = fromJSON(milvusJson, LOADER_OPTIONS);
const loaded = grpc.loadPackageDefinition(definition) as unknown as { milvus: { proto: { milvus: { MilvusService: grpc.ServiceClientConstructor } } } };

export const milvusService: grpc.ServiceDefinition = loaded.milvus.proto.milvus.MilvusService.service;

/** RPCs whose reply is a bare common.Status rather than a message with a `status` field. */
export const repliesWithBareStatus: ReadonlySet<string> = new Set(
  Object.entries(milvusService)
    .filter(([, m]) => (m as unknown as { responseType?: { type?: { name?: string } } }).responseType?.type?.name === 'Status')
    .map(([name]) => name),
);

export interface KeyValue {
  key: string;
  value: string;
}

export interface SchemaField {
  name: string;
  data_type: string;
  is_primary_key?: boolean;
  autoID?: boolean;
  is_dynamic?: boolean;
  description?: string;
  type_params?: KeyValue[];
}

export interface Schema {
  name?: string;
  description?: string;
  fields: SchemaField[];
  enable_dynamic_field?: boolean;
}

const schemaRoot = protobuf.Root.fromJSON(schemaJson);
const CollectionSchema = schemaRoot.lookupType('milvus.proto.schema.CollectionSchema');

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
