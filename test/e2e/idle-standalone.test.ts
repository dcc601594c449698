// Usage-aware memory end to end on Milvus standalone 2.3.5 (issue #18's
// must-shows): the operator as a process, a real apiserver, the usage source
// being standalone's own /metrics (receive_bytes_count carries the
// collection on 2.3.5). Idle release and load on use of whole collections,
// then a rolling partition window. Milvus is checked through a separate
// client; every wait is on a condition.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { standaloneUnavailableReason, startMilvusStandalone, type MilvusServer } from '../env/milvus.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RELEASE_AFTER_MS = 60_000;
const PERIOD_MS = 10_000;

describe('usage-aware memory end to end on Milvus standalone 2.3.5', { timeout: 900_000, skip: standaloneUnavailableReason() }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let operator: ManagedProcess;
  const apply = async (yaml: string): Promise<void> => {
    const r = await kube.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const policy = (name: string, spec: string): string => `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: search }\nspec:\n  milvus: { uri: "${milvus.uri}" }\n${spec}`;
  const jsonpath = async (name: string, path: string): Promise<string> => (await kube.kubectl(['get', 'clp', name, '-n', 'search', '-o', `jsonpath={${path}}`])).stdout;
  const entry = (name: string, collection: string, field: string): Promise<string> => jsonpath(name, `.status.collections[?(@.name=="${collection}")].${field}`);
  const loadState = async (name: string): Promise<string> => String((await observer.getLoadState({ collection_name: name })).state);
  const search = (name: string) => observer.search({ collection_name: name, data: [[0.5, 0, 0, 0]], limit: 1 });
  const loadedPartitions = async (collection: string): Promise<string[]> => {
    const r = await observer.showPartitions({ collection_name: collection, type: 1 });
    return r.data
      .filter((d) => Number(d.loadedPercentage) === 100)
      .map((d) => d.name)
      .sort();
  };
  const createCollection = async (name: string): Promise<void> => {
    await observer.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 4 }] });
    await observer.insert({ collection_name: name, data: Array.from({ length: 100 }, (_, i) => ({ id: i, vec: [i / 100, 0, 0, 0] })) });
    await observer.flushSync({ collection_names: [name] });
    await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
  };

  before(async () => {
    milvus = await startMilvusStandalone();
    assert.ok(milvus.metricsUrl, 'standalone serves /metrics');
    kube = await startKube();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of ['hot', 'cold', 'events']) await createCollection(name);
    for (const p of ['p_2026_01', 'p_2026_02', 'p_2026_03']) await observer.createPartition({ collection_name: 'events', partition_name: p });
    assert.equal((await kube.kubectl(['apply', '-f', `${root}crds/`])).code, 0);
    for (const crd of ['collectionloadpolicies', 'collectionloadbudgets']) await kube.kubectl(['wait', '--for=condition=Established', `crd/${crd}.milvusload.io`, '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'search']);
    await apply(`apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadBudget
metadata: { name: standalone }
spec:
  milvusUri: "${milvus.uri}"
  memoryLimit: 8Gi
  usage:
    milvusMetrics: { endpoints: ["${milvus.metricsUrl}"] }
    period: ${PERIOD_MS / 1000}s
`);
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log` })).proc;
  });

  after(async () => {
    await operator?.stop();
    await observer?.closeConnection();
    await kube?.stop();
    await milvus?.dispose();
  });

  it('releases the collection nobody searches after releaseAfter, keeps the searched one, and loads it back on the first search', async () => {
    const applied = Date.now();
    await apply(policy('tenants', '  selector: { names: [hot, cold] }\n  idle: { releaseAfter: 1m, overrideLoaded: true, loadOnUse: true }\n'));
    await until('hot and cold loaded', async () => (await loadState('hot')) === 'LoadStateLoaded' && (await loadState('cold')) === 'LoadStateLoaded', 180_000, 1000);

    // Searches on hot every 3 s while cold goes idle.
    let searching = true;
    const searches = (async () => {
      while (searching) {
        const r = await search('hot');
        assert.equal(r.status.error_code, 'Success', `search on hot: ${r.status.reason}`);
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    })();
    try {
      await until('UsageKnown True', async () => (await jsonpath('tenants', '.status.conditions[?(@.type=="UsageKnown")].status')) === 'True', 60_000, 1000);
      await until('cold released for idleness', async () => (await entry('tenants', 'cold', 'reason')) === 'Idle' && (await loadState('cold')) === 'LoadStateNotLoad', RELEASE_AFTER_MS + 6 * PERIOD_MS + 120_000, 1000);
      const releasedAfter = Date.now() - applied;
      assert.ok(releasedAfter >= RELEASE_AFTER_MS, `cold released ${releasedAfter} ms after the policy was applied: before releaseAfter`);
      assert.equal(await entry('tenants', 'cold', 'state'), 'Released');
      assert.match(await entry('tenants', 'cold', 'message'), /releaseAfter 1m|released for idleness/);
      assert.equal(await loadState('hot'), 'LoadStateLoaded', 'the searched collection stays loaded');
      assert.ok(!Number.isNaN(Date.parse(await entry('tenants', 'hot', 'lastUsedTime'))), 'hot shows lastUsedTime');
      console.log(`# cold released for idleness ${Math.round(releasedAfter / 1000)} s after the policy was applied (releaseAfter 1m, period 10s)`);
    } finally {
      searching = false;
      await searches;
    }

    // The first caller of a released collection gets an error; 2.3.5 still counts the request.
    const asked = Date.now();
    const failed = await search('cold');
    assert.notEqual(failed.status.error_code, 'Success', 'cold is released: the search fails');
    await until('cold loaded again on use', async () => (await loadState('cold')) === 'LoadStateLoaded', 3 * PERIOD_MS + 120_000, 500);
    const loadedAfter = Date.now() - asked;
    let answered = Date.now();
    await until('a search on cold succeeds', async () => {
      answered = Date.now();
      return (await search('cold')).status.error_code === 'Success';
    }, 60_000, 500);
    console.log(`# load on use: loaded ${Math.round(loadedAfter / 1000)} s, first successful search ${Math.round((answered - asked) / 1000)} s after the first failed one`);
    await until('cold Loaded in status', async () => (await entry('tenants', 'cold', 'state')) === 'Loaded', 60_000, 1000);
    assert.ok(operator.isRunning());
  });

  it('keeps the two newest partitions loaded; a new partition is loaded before the oldest of the window is released', async () => {
    await apply(policy('events-window', '  selector: { names: [events] }\n  partitionSelector: { patterns: ["p_2026_*"], keepNewest: 2 }\n'));
    await until('p_2026_02 and p_2026_03 loaded', async () => {
      const loaded = await loadedPartitions('events');
      return loaded.includes('p_2026_02') && loaded.includes('p_2026_03');
    }, 180_000, 1000);
    const first = await loadedPartitions('events');
    assert.ok(!first.includes('p_2026_01'), `loaded: ${first.join(',')}`);
    assert.ok(!first.includes('_default'), 'partitions outside the patterns are not touched');

    await observer.createPartition({ collection_name: 'events', partition_name: 'p_2026_04' });
    // Make before break: every state seen on the way has two window partitions loaded.
    const seen: string[][] = [];
    await until('p_2026_04 loaded and p_2026_02 released', async () => {
      const loaded = await loadedPartitions('events');
      seen.push(loaded);
      return loaded.includes('p_2026_04') && !loaded.includes('p_2026_02');
    }, 180_000, 500);
    for (const loaded of seen) assert.ok(loaded.filter((p) => p.startsWith('p_2026_')).length >= 2, `fewer than two window partitions loaded at one point: ${loaded.join(',')}`);
    assert.deepEqual((await loadedPartitions('events')).filter((p) => p.startsWith('p_2026_')), ['p_2026_03', 'p_2026_04']);
    assert.ok(operator.isRunning());
  });
});
