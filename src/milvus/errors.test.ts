// classifyStatus / classifyThrown against what real servers send. Sources:
// docs/test-environment.md (observed on Milvus Lite 3.2 and standalone 2.3.5),
// test/milvus-contract, and the merr texts of Milvus 2.4-2.6 (pkg/util/merr;
// the same catalogue as test/simulator/errors.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyStatus, classifyThrown, MilvusError, type MilvusErrorKind, type MilvusErrorReason } from './errors.ts';

type Row = readonly [string, { code?: number; error_code?: string | number; reason?: string }, MilvusErrorReason, MilvusErrorKind];

const STATUSES: readonly Row[] = [
  ['load/release of a missing collection (all servers, code 100)', { code: 100, error_code: 'CollectionNotExists', reason: 'collection not found[database=default][collection=books]' }, 'CollectionNotFound', 'notFound'],
  ['2.3 wording of a missing collection', { code: 0, error_code: 'UnexpectedError', reason: "collection books does not exist" }, 'CollectionNotFound', 'notFound'],
  ['GetLoadingProgress of a released collection, standalone (code 101)', { code: 101, error_code: 'UnexpectedError', reason: 'collection not loaded[collection=446]' }, 'CollectionNotLoaded', 'terminal'],
  ['the same on Lite: error_code is the number 101', { code: 101, error_code: 101, reason: 'collection not loaded' }, 'CollectionNotLoaded', 'terminal'],
  ['ShowCollections(InMemory) by name, re-raised as a plain error (65535)', { code: 65535, error_code: 'UnexpectedError', reason: 'collection not loaded[collection=books]' }, 'CollectionNotLoaded', 'terminal'],
  ['GetReplicas of a collection not loaded (code 400)', { code: 400, error_code: 'MetaFailed', reason: 'failed to get replicas by collection: replica not found[replica=446]' }, 'CollectionNotLoaded', 'terminal'],
  ['ShowCollections of a missing database, standalone (code 800)', { code: 800, error_code: 'UnexpectedError', reason: 'database not found[database=nope]' }, 'DatabaseNotFound', 'notFound'],
  ['a missing partition (code 200)', { code: 200, error_code: 'MetaFailed', reason: 'partition not found[partition=p9]' }, 'PartitionNotFound', 'notFound'],
  ['load without an index, standalone 2.3.5 (code 700 IndexNotExist)', { code: 700, error_code: 'IndexNotExist', reason: 'index not found[collection=books]' }, 'IndexNotFound', 'terminal'],
  ['legacy error_code only', { error_code: 'IndexNotExist', reason: '' }, 'IndexNotFound', 'terminal'],
  ['load without a vector index on a field, 2.4+ (plain error)', { code: 65535, error_code: 'UnexpectedError', reason: 'there is no vector index on field: [embedding], please create index firstly' }, 'IndexNotFound', 'terminal'],
  ['out of memory: memory limit (code 3)', { code: 3, error_code: 'InsufficientMemoryToLoad', reason: 'show collection failed: memory limit exceeded[predict(MB)=300][limit(MB)=100]' }, 'InsufficientMemory', 'retryable'],
  [
    'out of memory: segment size (plain error, the text users report)',
    { code: 65535, error_code: 'UnexpectedError', reason: 'show collection failed: load segment failed, OOM if load, maxSegmentSize = 300.00 MB,  memUsage = 0.00 MB, predictMemUsage = 300.00 MB, totalMem = 100.00 MB thresholdFactor = 0.900000' },
    'InsufficientMemory',
    'retryable',
  ],
  [
    'more replicas than query nodes',
    { code: 65535, error_code: 'UnexpectedError', reason: 'call query coordinator LoadCollection: failed to spawn replica for collection: resource group node not enough[rg=__default_resource_group][currentNodeNum=1][expectedNodeNum=2]' },
    'NotEnoughQueryNodes',
    'terminal',
  ],
  ['auth failure as a status (code 1800)', { code: 1800, error_code: 'UnexpectedError', reason: 'auth check failure, please check username and password are correct' }, 'AuthenticationFailed', 'terminal'],
  ['no privilege', { code: 65535, error_code: 'PermissionDenied', reason: 'PrivilegeLoad: permission deny to alice in the `default` database' }, 'PermissionDenied', 'terminal'],
  ['another replica number for a loaded collection, standalone 2.3.5', { code: 65535, error_code: 'UnexpectedError', reason: "can't change the replica number for loaded collection: expected=1, actual=2" }, 'ReconfigureRefused', 'terminal'],
  [
    'other load fields for a loaded collection, 2.4+ (an invalid parameter, but a reconfiguration)',
    { code: 65535, error_code: 'UnexpectedError', reason: "call query coordinator LoadCollection: can't change the load field list for loaded collection: invalid parameter[expected=[100 101]][actual=[100]]" },
    'ReconfigureRefused',
    'terminal',
  ],
  ['a missing resource group, standalone 2.3.5', { code: 65535, error_code: 'UnexpectedError', reason: 'given resource group not found' }, 'InvalidRequest', 'terminal'],
  ['a missing resource group, 2.4+ (code 300)', { code: 300, error_code: 'UnexpectedError', reason: 'resource group not found[rg=rg-missing]' }, 'InvalidRequest', 'terminal'],
  ['resource groups that do not fit the replicas', { code: 65535, error_code: 'UnexpectedError', reason: 'call query coordinator LoadCollection: resource group num can only be 0, 1 or same as replica number' }, 'InvalidRequest', 'terminal'],
  ['an invalid parameter (code 1100)', { code: 1100, error_code: 'IllegalArgument', reason: 'field not found[field=nope]: invalid parameter' }, 'InvalidRequest', 'terminal'],
  ['Lite: error_code "Success" with code 1 and no text', { code: 1, error_code: 'Success' }, 'MilvusError', 'retryable'],
  ['an unknown failure', { code: 65535, error_code: 'UnexpectedError', reason: 'something went wrong in the proxy' }, 'MilvusError', 'retryable'],
];

describe('classifyStatus', () => {
  for (const [what, status, reason, kind] of STATUSES) {
    it(`${what} -> ${reason} (${kind})`, () => {
      const e = classifyStatus('LoadCollection', status);
      assert.ok(e instanceof MilvusError);
      assert.deepEqual([e.reason, e.kind, e.method], [reason, kind, 'LoadCollection']);
      assert.equal(e.code, status.code ?? 0);
    });
  }

  it('keeps the server text as the message, or names the code when there is none', () => {
    assert.equal(classifyStatus('X', { code: 700, reason: '  index not found[collection=a]  ' }).message, 'index not found[collection=a]');
    assert.equal(classifyStatus('X', { error_code: 'UnexpectedError' }).message, 'error UnexpectedError');
  });
});

type Thrown = readonly [string, unknown, MilvusErrorReason, MilvusErrorKind];

const THROWN: readonly Thrown[] = [
  ['gRPC CANCELLED (1)', { code: 1, details: 'Cancelled on client' }, 'MilvusUnavailable', 'retryable'],
  ['gRPC DEADLINE_EXCEEDED (4)', { code: 4, details: 'Deadline exceeded after 30.001s' }, 'MilvusTimeout', 'retryable'],
  ['gRPC PERMISSION_DENIED (7), 2.3 privilege interceptor', { code: 7, details: 'PrivilegeLoad: permission deny to alice in the `default` database' }, 'PermissionDenied', 'terminal'],
  ['gRPC UNIMPLEMENTED (12)', { code: 12, details: 'Method not found: milvus.proto.milvus.MilvusService/DescribeDatabase' }, 'Unimplemented', 'terminal'],
  ['gRPC INTERNAL (13)', { code: 13, details: 'Received RST_STREAM with code 2' }, 'MilvusUnavailable', 'retryable'],
  ['gRPC UNAVAILABLE (14), server down', { code: 14, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:19530' }, 'MilvusUnavailable', 'retryable'],
  ['gRPC UNAUTHENTICATED (16), no credentials', { code: 16, details: 'missing authorization in header' }, 'AuthenticationFailed', 'terminal'],
  ['gRPC UNAUTHENTICATED (16), bad API key', { code: 16, details: 'auth check failure, please check api key is correct' }, 'AuthenticationFailed', 'terminal'],
  ['a socket error without a gRPC code', new Error('connect ECONNREFUSED 10.0.0.1:19530'), 'MilvusUnavailable', 'retryable'],
  ['DNS failure', new Error('getaddrinfo ENOTFOUND milvus.milvus.svc'), 'MilvusUnavailable', 'retryable'],
  ['a client-side timeout', new Error('request timed out after 30000 ms'), 'MilvusTimeout', 'retryable'],
  ['the SDK post-processing an empty (UNIMPLEMENTED) reply', new TypeError("Cannot read properties of undefined (reading 'map')"), 'MilvusError', 'retryable'],
  ['a thrown string', 'boom', 'MilvusError', 'retryable'],
];

describe('classifyThrown', () => {
  for (const [what, err, reason, kind] of THROWN) {
    it(`${what} -> ${reason} (${kind})`, () => {
      const e = classifyThrown('ShowCollections', err);
      assert.deepEqual([e.reason, e.kind, e.method], [reason, kind, 'ShowCollections']);
    });
  }

  it('passes a MilvusError through unchanged', () => {
    const original = classifyStatus('LoadCollection', { code: 700, reason: 'index not found' });
    assert.equal(classifyThrown('Other', original), original);
  });

  it('uses the gRPC details as the message', () => {
    assert.equal(classifyThrown('X', { code: 14, details: 'No connection established', message: '14 UNAVAILABLE: No connection established' }).message, 'No connection established');
  });
});
