// The PromQL usage source against a real Prometheus (built from the Go
// module proxy, test/env/build/prometheus.sh) scraping the simulator's two
// proxy /metrics endpoints every second: a searched collection is used, an
// unsearched one is not, the first request of a new series counts, and
// Prometheus stopped means UsageUnavailable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hasCollection } from '../../src/usage/collection-set.ts';
import { PrometheusReader } from '../../src/usage/prometheus.ts';
import type { UsageReading } from '../../src/usage/types.ts';
import { startPrometheus, type PrometheusServer } from '../env/prometheus.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { clientFor } from '../simulator/sdk.ts';

const isUsed = (r: UsageReading, name: string): boolean => r.ok && hasCollection(r.used, 'default', name);

describe('usage from a real Prometheus scraping the simulator', { timeout: 3_600_000 }, () => {
  let sim: MilvusSimulator;
  let prom: PrometheusServer;
  let reader: PrometheusReader;
  const search = (name: string) => clientFor(sim).search({ collection_name: name, data: [[0, 0, 0, 0]], limit: 1 });

  before(async () => {
    sim = await startSimulator();
    sim.state.createCollections('default', 3, { prefix: 'c', dim: 4 });
    sim.state.loadDirectly('default', 'c0');
    sim.state.loadDirectly('default', 'c1');
    sim.proxyMetrics.setProxies(2);
    // Series for c0 and c1 exist before Prometheus starts: they are old news once it has two periods of data.
    for (let i = 0; i < 2; i++) {
      await search('c0');
      await search('c1');
    }
    prom = await startPrometheus(await sim.proxyMetrics.listen());
    reader = new PrometheusReader(prom.url, { periodSeconds: 5 });
  });
  after(async () => {
    await prom?.dispose();
    await sim?.proxyMetrics.close();
    await sim?.stop();
  });

  it('a searched collection is used, an unsearched one is not', async () => {
    await until('Prometheus has two periods of data (c0 no longer looks new)', async () => {
      const r = await reader.read();
      return r.ok && !isUsed(r, 'c0') && !isUsed(r, 'c1');
    }, 120_000, 1000);
    await search('c1');
    let last: UsageReading | undefined;
    await until('c1 used after its search is scraped', async () => isUsed((last = await reader.read()), 'c1'), 60_000, 500);
    assert.equal(last && isUsed(last, 'c0'), false, 'c0 was not searched');
  });

  it('the first request of a collection (a new series) counts, failed or not', async () => {
    const failed = await search('c2');
    assert.notEqual(failed.status.error_code, 'Success', 'c2 is not loaded');
    await until('c2 used', async () => isUsed(await reader.read(), 'c2'), 60_000, 500);
  });

  it('a counter that grows on a proxy where the collection has a series counts (increase)', async () => {
    await until('every series is old news', async () => {
      const r = await reader.read();
      return r.ok && !['c0', 'c1', 'c2'].some((c) => isUsed(r, c));
    }, 120_000, 1000);
    // Calls alternate between the two proxies: this is the 7th, on proxy 0, where c0 has had a series since the start.
    await search('c0');
    assert.match(sim.proxyMetrics.exposition(0), /^milvus_proxy_req_count\{collection_name="c0",[^}]*status="total"\} 3$/m);
    let last: UsageReading | undefined;
    await until('c0 used', async () => isUsed((last = await reader.read()), 'c0'), 60_000, 500);
    assert.equal(last && isUsed(last, 'c1'), false);
  });

  it('Prometheus stopped: UsageUnavailable', async () => {
    await prom.proc.stop(5000);
    const r = await reader.read();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'UsageUnavailable');
    assert.match(!r.ok ? r.message : '', /no collection is released for idleness/);
  });
});
