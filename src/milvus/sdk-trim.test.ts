// The SDK loads without its bulk writer once sdk-adapter.ts is imported (sdk-trim.ts).
// Nothing here may import the SDK before sdk-adapter.ts does.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createSdkPort } from './sdk-adapter.ts';
import { bulkWriterPath } from './sdk-trim.ts';

describe('sdk-trim', () => {
  it('the SDK is loaded without the bulk writer and its dependencies, and with what the adapter uses', async () => {
    const path = bulkWriterPath();
    assert.ok(path, 'the SDK no longer has its bulk writer where sdk-trim.ts looks: update or remove the trim');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.deepEqual(
      loaded.filter((f) => /[\\/](@shanghaikid[\\/]parquetjs|@aws-sdk|thrift|bson)[\\/]/.test(f)),
      [],
      'nothing of the bulk writer loaded',
    );
    assert.deepEqual(createRequire(import.meta.url).cache[path]?.exports, {}, 'its place holds the empty module');
    const { MilvusClient, ShowCollectionsType } = await import('@zilliz/milvus2-sdk-node');
    assert.equal(ShowCollectionsType.Loaded, 1);
    assert.equal(typeof MilvusClient, 'function');
    assert.equal(typeof createSdkPort, 'function');
  });
});
