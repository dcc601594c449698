// Idle release driven by PromQL, through the operator process: a real
// kube-apiserver, a real Prometheus (test/env/build/prometheus.sh) scraping
// the simulator's two proxy /metrics endpoints every second, the budget's
// `spec.usage.prometheus` with the default query, period 10s. The searched
// collection stays loaded, the other is released for idleness; then
// Prometheus is stopped: UsageKnown False, and nothing is released although
// nobody searches any more. The simulator stands in for Milvus only because
// several proxies and recent label sets are what it serves; the same release
// on standalone's own /metrics is test/e2e/idle-standalone.test.ts.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { untilReconciled } from '../env/operator-metrics.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { startPrometheus, type PrometheusServer } from '../env/prometheus.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { clientFor } from '../simulator/sdk.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RELEASE_AFTER_MS = 60_000;
const PERIOD_MS = 10_000;

describe('idle release from a real Prometheus, through the operator', { timeout: 3_600_000 }, () => {
  let sim: MilvusSimulator;
  let prom: PrometheusServer;
  let kube: KubeEnv;
  let operator: ManagedProcess;
  let metricsUrl: string;
  const loadState = (name: string): string => sim.state.loadState(sim.state.collection('default', name));
  const jsonpath = async (path: string): Promise<string> => (await kube.kubectl(['get', 'clp', 'tenants', '-n', 'search', '-o', `jsonpath={${path}}`])).stdout;
  const entry = (collection: string, field: string): Promise<string> => jsonpath(`.status.collections[?(@.name=="${collection}")].${field}`);
  const usageKnown = (field: string): Promise<string> => jsonpath(`.status.conditions[?(@.type=="UsageKnown")].${field}`);
  const search = async (name: string): Promise<void> => {
    await clientFor(sim).search({ collection_name: name, data: [[0, 0, 0, 0]], limit: 1 });
  };

  before(async () => {
    sim = await startSimulator({ loadMillis: 200 });
    sim.state.createCollections('default', 2, { prefix: 't', dim: 4 });
    sim.proxyMetrics.setProxies(2);
    prom = await startPrometheus(await sim.proxyMetrics.listen());
    kube = await startKube();
    assert.equal((await kube.kubectl(['apply', '-f', `${root}crds/`])).code, 0);
    for (const crd of ['collectionloadpolicies', 'collectionloadbudgets']) await kube.kubectl(['wait', '--for=condition=Established', `crd/${crd}.milvusload.io`, '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'search']);
    const spawned = await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log` });
    operator = spawned.proc;
    metricsUrl = spawned.metricsUrl;
  });
  after(async () => {
    await operator?.stop();
    await kube?.stop();
    await prom?.dispose();
    await sim?.proxyMetrics.close();
    await sim?.stop();
  });

  it('releases the collection nobody searches, not the searched one', async () => {
    const r = await kube.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadBudget
metadata: { name: sim }
spec:
  milvusUri: "${sim.uri}"
  memoryLimit: 8Gi
  usage:
    prometheus: { url: "${prom.url}" }
    period: ${PERIOD_MS / 1000}s
---
apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: tenants, namespace: search }
spec:
  milvus: { uri: "${sim.uri}" }
  selector: { names: [t0, t1] }
  idle: { releaseAfter: 1m, overrideLoaded: true, loadOnUse: true }
`,
    });
    assert.equal(r.code, 0, r.stderr);
    const applied = Date.now();
    await until('t0 and t1 loaded', async () => loadState('t0') === 'LoadStateLoaded' && loadState('t1') === 'LoadStateLoaded', 60_000, 500);
    let searching = true;
    const searches = (async () => {
      while (searching) {
        await search('t0');
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    })();
    try {
      await until('UsageKnown True', async () => (await usageKnown('status')) === 'True', 60_000, 1000);
      await until('t1 released for idleness', async () => (await entry('t1', 'reason')) === 'Idle' && loadState('t1') === 'LoadStateNotLoad', RELEASE_AFTER_MS + 3 * 70_000, 1000);
      const after = Date.now() - applied;
      assert.ok(after >= RELEASE_AFTER_MS, `t1 released ${after} ms after apply: before releaseAfter`);
      assert.equal(loadState('t0'), 'LoadStateLoaded', 'the searched collection stays loaded');
      assert.ok(!Number.isNaN(Date.parse(await entry('t0', 'lastUsedTime'))), 't0 shows lastUsedTime');
      console.log(`# t1 released for idleness ${Math.round(after / 1000)} s after apply (releaseAfter 1m, period 10s, PromQL window 70s)`);
    } finally {
      searching = false;
      await searches;
    }
  });

  it('Prometheus down: UsageKnown False (UsageUnavailable) and nothing is released for idleness', async () => {
    await prom.proc.stop(5000);
    await until('UsageKnown False', async () => (await usageKnown('status')) === 'False', 3 * PERIOD_MS + 60_000, 1000);
    assert.equal(await usageKnown('reason'), 'UsageUnavailable');
    assert.match(await usageKnown('message'), /no collection is released for idleness/);
    // t0's last search was just before; once releaseAfter and a period have passed, two finished
    // reconciles show the operator decided with the source down.
    const idleFrom = Date.now();
    await until('releaseAfter and a period passed', async () => Date.now() - idleFrom > RELEASE_AFTER_MS + PERIOD_MS, RELEASE_AFTER_MS + 2 * PERIOD_MS, 1000);
    await untilReconciled(metricsUrl, sim.port, 2);
    assert.equal(loadState('t0'), 'LoadStateLoaded', 'released for idleness while usage was unknown');
    assert.equal(await entry('t0', 'usageUnknownReason'), 'UsageUnavailable');
    assert.notEqual(await entry('t0', 'reason'), 'Idle');
    console.log(`# with usage unknown, t1 (released for idleness, declared Loaded) is ${loadState('t1')}`);
  });
});
