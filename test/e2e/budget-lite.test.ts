// Budgets end to end: real apiserver, real Milvus Lite, the operator as a process.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));


describe('budgets end to end on Milvus Lite', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let operator: ManagedProcess;
  const state = async (n: string) => String((await observer.getLoadState({ collection_name: n })).state);
  const get = async (args: string[]) => (await kube.kubectl(['get', ...args])).stdout;

  before(async () => {
    // One at a time, so that `after` can stop whatever did start.
    milvus = await startMilvusLite();
    kube = await startKube();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const n of ['gold', 'silver', 'bronze']) {
      await observer.createCollection({ collection_name: n, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await observer.createIndex({ collection_name: n, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await observer.releaseCollection({ collection_name: n });
    }
    assert.equal((await kube.kubectl(['apply', '-f', `${root}crds/`])).code, 0);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'team']);
    const policies = [
      ['gold', 30],
      ['silver', 20],
      ['bronze', 10],
    ]
      .map(
        ([n, prio]) => `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: ${n}, namespace: team }
spec:
  milvus: { uri: "${milvus.uri}" }
  selector: { names: [${n}] }
  priority: ${prio}
  load: { memoryEstimate: 4Gi }
`,
      )
      .join('---\n');
    const budget = `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadBudget
metadata: { name: lite }
spec:
  milvusUri: "${milvus.uri}"
  memoryLimit: 9Gi
---
`;
    const r = await kube.kubectl(['apply', '-f', '-'], { input: budget + policies });
    assert.equal(r.code, 0, r.stderr);
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log` })).proc;
  });

  after(async () => {
    await operator?.stop();
    await observer?.closeConnection();
    await Promise.all([milvus?.dispose(), kube?.stop()]);
  });

  it('a budget that fits two of three defers the lowest priority', async () => {
    await until('gold and silver loaded', async () => (await state('gold')) === 'LoadStateLoaded' && (await state('silver')) === 'LoadStateLoaded');
    await until('bronze deferred', async () => (await get(['clp', 'bronze', '-n', 'team', '-o', 'jsonpath={.status.collections[0].state}'])) === 'Deferred');
    assert.equal(await state('bronze'), 'LoadStateNotLoad');
    assert.equal(await get(['clp', 'bronze', '-n', 'team', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}']), 'OverBudget');
    await until('budget status', async () => (await get(['clb', 'lite', '-o', 'jsonpath={.status.used}'])) === '8Gi');
    assert.equal(await get(['clb', 'lite', '-o', 'jsonpath={.status.deferred[0].collection}']), 'bronze');
    const table = await get(['clb']);
    assert.match(table, /lite\s+http:\/\/127\.0\.0\.1:\d+\s+9Gi\s+8Gi\s+2\s+1/);
  });

  it('deleting a higher-priority policy lets the deferred one load', async () => {
    const r = await kube.kubectl(['delete', 'clp', 'gold', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    await until('bronze loaded', async () => (await state('bronze')) === 'LoadStateLoaded');
    assert.equal(await state('gold'), 'LoadStateLoaded', 'deletionPolicy Retain left gold loaded');
    await until('budget counts silver and bronze', async () => (await get(['clb', 'lite', '-o', 'jsonpath={.status.loadedCollections}'])) === '2');
  });
});
