// The simulator's proxy /metrics read by the MilvusMetrics usage source:
// searches spread over two proxies are summed, a failed search on a released
// collection counts as use, and a proxy restart (counters back to zero) is
// not mistaken for idleness.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listCollections } from '../../src/usage/collection-set.ts';
import { MilvusMetricsReader } from '../../src/usage/milvus-metrics.ts';
import type { UsageReading } from '../../src/usage/types.ts';
import { startSimulator, type MilvusSimulator } from './index.ts';
import { clientFor } from './sdk.ts';

const used = (r: UsageReading): string[] => (r.ok ? listCollections(r.used).map((c) => `${c.database ?? '*'}/${c.collection}`) : [`!${r.reason}`]);

describe('simulator proxy metrics and the MilvusMetrics usage source', () => {
  let sim: MilvusSimulator;
  let reader: MilvusMetricsReader;
  const search = (name: string, db = 'default') => clientFor(sim).search({ db_name: db, collection_name: name, data: [[0, 0, 0, 0]], limit: 1 });

  before(async () => {
    sim = await startSimulator();
    sim.state.createDatabase('logs');
    sim.state.createCollections('default', 3, { prefix: 'c', dim: 4 });
    sim.state.createCollections('logs', 1, { prefix: 'c', dim: 4 });
    for (const n of ['c0', 'c1', 'c2']) sim.state.loadDirectly('default', n);
    sim.state.loadDirectly('logs', 'c0');
    sim.proxyMetrics.setProxies(2);
    reader = new MilvusMetricsReader(await sim.proxyMetrics.listen());
  });
  after(async () => {
    await sim.proxyMetrics.close();
    await sim.stop();
  });

  it('serves recent Milvus labels and splits the calls over the proxies', async () => {
    await search('c0');
    await search('c0');
    const [a, b] = [sim.proxyMetrics.exposition(0), sim.proxyMetrics.exposition(1)];
    assert.match(a, /^milvus_proxy_req_count\{collection_name="c0",db_name="default",function_name="Search",node_id="1",status="success"\} 1$/m);
    assert.match(b, /^milvus_proxy_req_count\{collection_name="c0",db_name="default",function_name="Search",node_id="2",status="success"\} 1$/m);
  });

  it('reports searched collections per database, failed searches included', async () => {
    assert.deepEqual(used(await reader.read()), [], 'the first reading is the baseline');
    await search('c1');
    await search('c0', 'logs');
    sim.state.releaseBehindOperatorsBack('default', 'c2');
    const failed = await search('c2');
    assert.notEqual(failed.status.error_code, 'Success', 'a search on a released collection fails');
    assert.deepEqual(used(await reader.read()), ['default/c1', 'default/c2', 'logs/c0']);
    assert.deepEqual(used(await reader.read()), [], 'nothing since');
  });

  it('a proxy restart is not idleness: the requests after it count', async () => {
    await search('c0');
    await search('c1');
    await reader.read();
    sim.proxyMetrics.restartProxy(0);
    sim.proxyMetrics.restartProxy(1);
    await search('c1');
    assert.deepEqual(used(await reader.read()), ['default/c1']);
  });

  it('a proxy whose endpoint is gone makes the reading unusable', async () => {
    await sim.proxyMetrics.close();
    assert.deepEqual(used(await reader.read()), ['!UsageUnavailable']);
  });
});
