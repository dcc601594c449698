// sdk-sharing.ts reaches into @zilliz/milvus2-sdk-node 3.0.6. These tests
// fail when the SDK no longer has the shape it relies on: the constructor
// must build its Roots and services through the two builders we replace,
// and the builders must be the SDK's own again afterwards.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { MilvusClient, type ClientConfig } from '@zilliz/milvus2-sdk-node';
import { withSharedDefinitions } from './sdk-sharing.ts';

interface Built {
  schemaProto: unknown;
  milvusProto: unknown;
  _MilvusService: unknown;
  _ClientTelemetryService: unknown;
}

const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@zilliz/milvus2-sdk-node'));
const grpcUtils = sdkRequire('./utils/Grpc') as { getGRPCService: unknown };
const protobuf = sdkRequire('protobufjs') as { Root: { fromJSON: unknown } };

// __SKIP_CONNECT__: the constructor builds everything but opens no connection.
const config = (address: string): ClientConfig => ({ address, __SKIP_CONNECT__: true, telemetry: { enabled: false } });
const build = (address: string): Built => new MilvusClient(config(address)) as unknown as Built;
const buildShared = (address: string): Built => withSharedDefinitions(() => build(address));

describe('shared SDK definitions', () => {
  it('two clients built through withSharedDefinitions share their Roots and service constructors', () => {
    const a = buildShared('127.0.0.1:1');
    const b = buildShared('127.0.0.2:1');
    for (const field of ['schemaProto', 'milvusProto', '_MilvusService', '_ClientTelemetryService'] as const) {
      assert.ok(a[field], `the SDK no longer sets ${field} in its constructor: re-read BaseClient/GrpcClient and update sdk-sharing.ts`);
      assert.equal(a[field], b[field], `${field} is built per client again: the SDK changed how it builds it`);
    }
  });

  it('the shared services offer the same RPCs as those the SDK builds', () => {
    const own = build('127.0.0.1:1');
    const shared = buildShared('127.0.0.1:1');
    const service = (b: Built): { service: Record<string, unknown> } => b._MilvusService as { service: Record<string, unknown> };
    assert.deepEqual(Object.keys(service(shared).service).sort(), Object.keys(service(own).service).sort());
    assert.ok(Object.keys(service(shared).service).includes('LoadCollection'));
  });

  it('clients built outside it are untouched, and the builders are restored, also after a throw', () => {
    const { getGRPCService } = grpcUtils;
    const { fromJSON } = protobuf.Root;
    const shared = buildShared('127.0.0.1:1');
    assert.throws(() => withSharedDefinitions(() => new MilvusClient({ address: '' })), /address/i);
    assert.equal(grpcUtils.getGRPCService, getGRPCService);
    assert.equal(protobuf.Root.fromJSON, fromJSON);
    const own = build('127.0.0.1:1');
    assert.notEqual(own.milvusProto, shared.milvusProto);
    assert.notEqual(own._MilvusService, shared._MilvusService);
  });
});
