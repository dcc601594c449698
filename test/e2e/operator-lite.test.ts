// End to end: a real kube-apiserver, real Milvus Lite, the operator as a
// separate process, kubectl as a user runs it, and Milvus observed through a
// separate client (not the operator's).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import { scrapeMetrics, untilReconciled } from '../env/operator-metrics.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RESYNC_S = 3;


function policy(name: string, uri: string, spec: string): string {
  return `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: ${name}, namespace: search }
spec:
  milvus: { uri: "${uri}" }
${spec}`;
}

describe('operator end to end on Milvus Lite', { timeout: 600_000 }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let other: MilvusServer;
  let observer: MilvusClient;
  let operator: ManagedProcess;
  let metricsUrl: string;
  /** Calls of a port method (load, release, ...) the operator made to `milvus`, as its /metrics counts them. */
  const calls = async (method: string): Promise<number> => {
    const m = await scrapeMetrics(metricsUrl);
    return m.samples.filter((x) => x.name === 'milvus_load_operator_milvus_requests_total' && x.labels.method === method).reduce((sum, x) => sum + x.value, 0);
  };

  const state = async (name: string): Promise<string> => String((await observer.getLoadState({ collection_name: name })).state);
  const jsonpath = async (kind: string, name: string, path: string): Promise<string> => (await kube.kubectl(['get', kind, name, '-n', 'search', '-o', `jsonpath=${path}`])).stdout;
  const apply = async (yaml: string): Promise<void> => {
    const r = await kube.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    // One at a time, so that `after` can stop whatever did start.
    milvus = await startMilvusLite();
    other = await startMilvusLite();
    kube = await startKube();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of ['products', 'reviews', 'logs_1']) {
      await observer.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await observer.insert({ collection_name: name, data: Array.from({ length: 50 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 50) })) });
      await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await observer.releaseCollection({ collection_name: name }); // Milvus Lite loads on index creation
    }
    assert.equal((await kube.kubectl(['apply', '-f', `${root}crds/`])).code, 0);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'search']);
    const spawned = await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log`, resync: `${RESYNC_S}s`, logLevel: 'debug' });
    operator = spawned.proc;
    metricsUrl = spawned.metricsUrl;
  });

  after(async () => {
    await operator?.stop();
    await observer?.closeConnection();
    await Promise.all([milvus?.dispose(), other?.dispose(), kube?.stop()]);
  });

  it('loads a collection when a policy is applied; kubectl wait sees Ready', async () => {
    await apply(policy('products', milvus.uri, '  selector: { names: [products] }\n  deletionPolicy: Release'));
    const r = await kube.kubectl(['wait', '--for=condition=Ready', 'clp/products', '-n', 'search', '--timeout=60s']);
    assert.equal(r.code, 0, `${r.stderr}\noperator log:\n${operator.tail(30)}`);
    assert.equal(await state('products'), 'LoadStateLoaded');
    assert.equal(await jsonpath('clp', 'products', '{.status.loadedSummary}'), '1/1');
    const get = await kube.kubectl(['get', 'clp', '-n', 'search']);
    assert.match(get.stdout, /products\s+Loaded\s+Loaded\s+1\/1\s+True/);
  });

  it('leaves an unchanged policy alone: no status write across two resyncs (same resourceVersion)', async () => {
    const before = await jsonpath('clp', 'products', '{.metadata.resourceVersion}');
    const writes = (await scrapeMetrics(metricsUrl)).value('milvus_load_operator_status_writes_total');
    await untilReconciled(metricsUrl, milvus.port, 2);
    assert.equal((await scrapeMetrics(metricsUrl)).value('milvus_load_operator_status_writes_total'), writes, 'status writes while nothing changed');
    assert.equal(await jsonpath('clp', 'products', '{.metadata.resourceVersion}'), before, `the status was rewritten although nothing changed\noperator log:\n${operator.tail(20)}`);
  });

  it('releases when the policy switches to Released', async () => {
    await apply(policy('products', milvus.uri, '  selector: { names: [products] }\n  state: Released\n  deletionPolicy: Release'));
    await until('products released', async () => (await state('products')) === 'LoadStateNotLoad');
    await until('status Released', async () => (await jsonpath('clp', 'products', '{.status.effectiveState}')) === 'Released');
  });

  it('puts a manual release right: a Drift load', async () => {
    await apply(policy('reviews', milvus.uri, '  selector: { names: [reviews] }'));
    await until('reviews loaded', async () => (await state('reviews')) === 'LoadStateLoaded');
    // Drift is a departure from what the operator last recorded: wait until it has recorded Loaded.
    await until('status Loaded', async () => (await jsonpath('clp', 'reviews', '{.status.collections[0].state}')) === 'Loaded');
    const driftLoads = async (): Promise<number> => (await scrapeMetrics(metricsUrl)).value('milvus_load_operator_milvus_actions_total', { action: 'load', reason: 'Drift' });
    const driftBefore = await driftLoads();
    await observer.releaseCollection({ collection_name: 'reviews' });
    await until('reviews loaded again', async () => (await state('reviews')) === 'LoadStateLoaded');
    // The counter moves when the pass that sent the load ends (after its status writes), which can be
    // a moment after Milvus already shows the collection loaded: wait for it, do not sample it once.
    await until('the reload counted as a Drift action', async () => (await driftLoads()) > driftBefore);
    await until('a DriftCorrected event', async () =>
      /DriftCorrected/.test((await kube.kubectl(['get', 'events', '-n', 'search', '--field-selector', 'involvedObject.name=reviews', '-o', 'jsonpath={.items[*].reason}'])).stdout),
    );
  });

  it('reports a missing collection while another policy in the namespace is Ready', async () => {
    await apply(policy('ghost', milvus.uri, '  selector: { names: [does_not_exist] }'));
    await until('ghost NotFound', async () => (await jsonpath('clp', 'ghost', '{.status.conditions[?(@.type=="Ready")].reason}')) === 'CollectionNotFound');
    assert.equal(await jsonpath('clp', 'ghost', '{.status.collections[0].state}'), 'NotFound');
    assert.equal(await jsonpath('clp', 'reviews', '{.status.conditions[?(@.type=="Ready")].status}'), 'True');
  });

  it('delete with Release releases, then the finalizer goes', async () => {
    await apply(policy('logs', milvus.uri, '  selector: { patterns: ["logs_*"] }\n  deletionPolicy: Release'));
    await until('logs_1 loaded', async () => (await state('logs_1')) === 'LoadStateLoaded');
    await until('finalizer added', async () => (await jsonpath('clp', 'logs', '{.metadata.finalizers[0]}')) === 'milvusload.io/release');
    const r = await kube.kubectl(['delete', 'clp', 'logs', '-n', 'search', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await state('logs_1'), 'LoadStateNotLoad');
  });

  it('delete with Retain leaves the collection loaded', async () => {
    const releases = await calls('release');
    const r = await kube.kubectl(['delete', 'clp', 'reviews', '-n', 'search', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    await untilReconciled(metricsUrl, milvus.port, 2);
    assert.equal(await calls('release'), releases, 'a Retain policy was deleted and something was released');
    assert.equal(await state('reviews'), 'LoadStateLoaded');
  });

  it('suspend observes and reports but changes nothing; unsuspending acts', async () => {
    await observer.createCollection({ collection_name: 'paused', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
    await observer.createIndex({ collection_name: 'paused', field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    await observer.releaseCollection({ collection_name: 'paused' });
    await apply(policy('paused', milvus.uri, '  selector: { names: [paused] }\n  suspend: true'));
    await until('Suspended condition', async () => (await jsonpath('clp', 'paused', '{.status.conditions[?(@.type=="Suspended")].status}')) === 'True');
    const loads = await calls('load');
    await untilReconciled(metricsUrl, milvus.port, 2);
    assert.equal(await calls('load'), loads, 'a suspended policy made the operator load');
    assert.equal(await state('paused'), 'LoadStateNotLoad', 'a suspended policy changes nothing');
    assert.equal(await jsonpath('clp', 'paused', '{.status.collections[0].state}'), 'Released', 'but reports what it sees');
    await apply(policy('paused', milvus.uri, '  selector: { names: [paused] }\n  suspend: false'));
    await until('paused loaded', async () => (await state('paused')) === 'LoadStateLoaded');
  });

  it('a new milvusload.io/refresh value asks for one refresh load', async () => {
    const r = await kube.kubectl(['annotate', 'clp', 'paused', '-n', 'search', 'milvusload.io/refresh=r1', '--overwrite']);
    assert.equal(r.code, 0, r.stderr);
    await until('refreshedValue r1', async () => (await jsonpath('clp', 'paused', '{.status.refreshedValue}')) === 'r1');
    await until('a Refresh log line', async () => operator.tail(200).includes('"reason":"Refresh"'));
  });

  it('an unreachable Milvus gives Degraded with a reason that says so, and recovers', async () => {
    const c = new MilvusClient({ address: other.address, telemetry: { enabled: false } });
    await c.createCollection({ collection_name: 'remote', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
    await c.createIndex({ collection_name: 'remote', field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    await c.closeConnection();
    await apply(policy('remote', other.uri, '  selector: { names: [remote] }'));
    await until('remote Ready', async () => (await jsonpath('clp', 'remote', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True');
    await other.stop();
    await until('remote Degraded', async () => (await jsonpath('clp', 'remote', '{.status.conditions[?(@.type=="Degraded")].reason}')).startsWith('Milvus'), 60_000);
    const msg = await jsonpath('clp', 'remote', '{.status.conditions[?(@.type=="Degraded")].message}');
    assert.match(msg, /reachable|unavailable|connect|running/i);
    await other.restart();
    await until('remote Ready again', async () => (await jsonpath('clp', 'remote', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True', 90_000);
    assert.ok(operator.isRunning(), 'the operator did not crash');
  });
});
