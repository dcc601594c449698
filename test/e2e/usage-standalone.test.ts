// What Milvus standalone 2.3.5's metrics endpoint tells the MilvusMetrics
// usage source. Its milvus_proxy_req_count has no collection label
// (function_name, node_id, status only), but milvus_proxy_receive_bytes_count
// has collection_name (no db_name) and counts every received search and
// query, failed ones too. So on 2.3.5 usage is per collection, with the
// database unknown. The label sets are recorded in docs/usage.md.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { listCollections } from '../../src/usage/collection-set.ts';
import { selectSamples } from '../../src/usage/exposition.ts';
import { MilvusMetricsReader } from '../../src/usage/milvus-metrics.ts';
import type { UsageReading } from '../../src/usage/types.ts';
import { standaloneUnavailableReason, startMilvusStandalone, type MilvusServer } from '../env/milvus.ts';

const used = (r: UsageReading): string[] => (r.ok ? listCollections(r.used).map((c) => `${c.database ?? '*'}/${c.collection}`) : [`!${r.reason}: ${r.message}`]);
const labelNames = (text: string, metric: string): string[] => [...new Set(selectSamples(text, new Set([metric]), 100_000).map((s) => [...s.labels.keys()].sort().join(',')))];

describe('usage on Milvus standalone 2.3.5', { timeout: 600_000, skip: standaloneUnavailableReason() }, () => {
  let milvus: MilvusServer;
  let client: MilvusClient;
  let reader: MilvusMetricsReader;

  before(async () => {
    milvus = await startMilvusStandalone();
    assert.ok(milvus.metricsUrl, 'standalone serves /metrics');
    client = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of ['searched', 'released', 'idle']) {
      await client.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 4 }] });
      await client.insert({ collection_name: name, data: Array.from({ length: 10 }, (_, i) => ({ id: i, vec: [i, 0, 0, 0] })) });
      await client.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    }
    await client.loadCollectionSync({ collection_name: 'searched' });
    await client.loadCollectionSync({ collection_name: 'idle' });
    reader = new MilvusMetricsReader([milvus.metricsUrl]);
  });
  after(async () => {
    await client?.closeConnection();
    await milvus?.dispose();
  });

  it('req_count is not per collection; receive_bytes_count is, without a database', async () => {
    const text = await (await fetch(milvus.metricsUrl as string)).text();
    assert.deepEqual(labelNames(text, 'milvus_proxy_req_count'), ['function_name,node_id,status']);
    assert.deepEqual(labelNames(text, 'milvus_proxy_receive_bytes_count'), ['collection_name,msg_type,node_id']);
  });

  it('a search and a failed search (collection not loaded) count as use; an untouched loaded collection does not', async () => {
    const first = await reader.read();
    assert.deepEqual(used(first), [], 'the first reading is the baseline');
    const ok = await client.search({ collection_name: 'searched', data: [[1, 0, 0, 0]], limit: 1 });
    assert.equal(ok.status.error_code, 'Success');
    const failed = await client.search({ collection_name: 'released', data: [[1, 0, 0, 0]], limit: 1 });
    assert.notEqual(failed.status.error_code, 'Success', 'released is not loaded');
    const second = await reader.read();
    assert.deepEqual(used(second), ['*/released', '*/searched']);
    assert.ok(second.ok && !listCollections(second.seen).some((c) => c.collection === 'idle'), 'idle has no search or query series at all');
    const q = await client.query({ collection_name: 'idle', filter: 'id > 5', limit: 1 });
    assert.equal(q.status.error_code, 'Success');
    assert.deepEqual(used(await reader.read()), ['*/idle'], 'a query counts too');
  });

  it('a server restart (counters back to zero) is not mistaken for idleness', async () => {
    // Three searches before the restart, one after: the counter goes down, which is a restart, and the search counts.
    for (let i = 0; i < 2; i++) await client.search({ collection_name: 'searched', data: [[1, 0, 0, 0]], limit: 1 });
    await reader.read();
    await milvus.restart();
    await client.closeConnection();
    client = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    await client.loadCollectionSync({ collection_name: 'searched' });
    const ok = await client.search({ collection_name: 'searched', data: [[1, 0, 0, 0]], limit: 1 });
    assert.equal(ok.status.error_code, 'Success');
    assert.deepEqual(used(await reader.read()), ['*/searched']);
  });
});
