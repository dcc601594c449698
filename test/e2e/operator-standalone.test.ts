// End to end on the full Milvus standalone server: really asynchronous
// loads, partitions, and a refusal Milvus makes (more replicas than query
// nodes). Operator as a process, kubectl as the user, Milvus checked through
// a separate client.
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


describe('operator end to end on Milvus standalone', { timeout: 600_000, skip: standaloneUnavailableReason() }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let operator: ManagedProcess;
  const apply = async (name: string, spec: string) => {
    const r = await kube.kubectl(['apply', '-f', '-'], { input: `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: search }\nspec:\n  milvus: { uri: "${milvus.uri}" }\n${spec}` });
    assert.equal(r.code, 0, r.stderr);
  };
  const ready = async (name: string, field = 'status') => (await kube.kubectl(['get', 'clp', name, '-n', 'search', '-o', `jsonpath={.status.conditions[?(@.type=="Ready")].${field}}`])).stdout;

  before(async () => {
    milvus = await startMilvusStandalone();
    kube = await startKube();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of ['articles', 'events']) {
      await observer.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await observer.insert({ collection_name: name, data: Array.from({ length: 200 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 200) })) });
      await observer.flushSync({ collection_names: [name] });
      await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    }
    await observer.createPartition({ collection_name: 'events', partition_name: 'p_2026_11' });
    await observer.createPartition({ collection_name: 'events', partition_name: 'p_2026_10' });
    await kube.kubectl(['apply', '-f', `${root}crds/`]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'search']);
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log` })).proc;
  });

  after(async () => {
    await operator?.stop();
    await observer?.closeConnection();
    await kube?.stop();
    await milvus?.dispose();
  });

  it('loads a collection; Ready once Milvus reports it loaded', async () => {
    await apply('articles', '  selector: { names: [articles] }\n');
    const r = await kube.kubectl(['wait', '--for=condition=Ready', 'clp/articles', '-n', 'search', '--timeout=120s']);
    assert.equal(r.code, 0, `${r.stderr}\n${operator.tail(20)}`);
    assert.equal(String((await observer.getLoadState({ collection_name: 'articles' })).state), 'LoadStateLoaded');
  });

  it('puts a manual release right', async () => {
    await observer.releaseCollection({ collection_name: 'articles' });
    await until('articles loaded again', async () => String((await observer.getLoadState({ collection_name: 'articles' })).state) === 'LoadStateLoaded');
  });

  it('loads only the named partition', async () => {
    await apply('events-current', '  selector: { names: [events] }\n  partitions: [p_2026_11]\n');
    await until('events-current Ready', async () => (await ready('events-current')) === 'True');
    const parts = await observer.showPartitions({ collection_name: 'events', type: 1 });
    const loaded = parts.data.filter((d) => Number(d.loadedPercentage) === 100).map((d) => d.name);
    assert.ok(loaded.includes('p_2026_11'), `loaded partitions: ${loaded.join(',')}`);
    assert.ok(!loaded.includes('p_2026_10'));
  });

  it('reports a refusal by Milvus (new replicas on a loaded collection, which 2.3 cannot do) without releasing anything', async () => {
    await apply('articles', '  selector: { names: [articles] }\n  load: { replicas: 3 }\n');
    // 2.3.5 checks "can't change the replica number for loaded collection" before it counts query nodes.
    await until('ReconfigureRefused', async () => (await ready('articles', 'reason')) === 'ReconfigureRefused');
    assert.match(await ready('articles', 'message'), /replica/);
    assert.equal(String((await observer.getLoadState({ collection_name: 'articles' })).state), 'LoadStateLoaded', 'never released silently');
    assert.ok(operator.isRunning());
  });
});
