// Reliability: the Kubernetes side fails. The operator reaches the apiserver
// through a TCP proxy (TLS passes through), so the test can blind it while a
// user edits a policy directly, and can freeze its watch without an error.
// - kube-apiserver and etcd restarted while the operator cannot reach them,
//   with an edit made before it could watch again: the edit lands.
// - restarted again, edit made the moment the apiserver answers: it lands.
// - a watch that hangs silently (frozen connection): the stall watchdog
//   notices, the watch is re-established, and an edit made during the stall
//   lands. Without the watchdog the operator would never see that edit: the
//   frozen connection never closes, and resyncs read the stale cache.
// The server-side watch timeout is 4 s here (MLO_WATCH_TIMEOUT_SECONDS), so a
// stall is noticed after 8 s instead of 5.5 minutes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { processAlive } from '../env/process.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { parseExposition } from '../env/prom.ts';
import { apply, FreezingProxy, httpGet, installCrds, kubeconfigVia, policy, startOperator, untilPolicy, type OperatorProcess, type PolicyView } from './support.ts';

const NS = 'rel-kube';
const WATCH_TIMEOUT_S = 4;

describe('reliability: apiserver restarts and watch stalls', { timeout: 420_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let proxy: FreezingProxy;
  let op: OperatorProcess;
  const loaded = (name: string): boolean => sim.state.loadState(sim.state.collection('default', name)) === 'LoadStateLoaded';
  const settled = (p: PolicyView): boolean => p.observedGeneration === p.generation && p.conditions.get('Ready')?.status === 'True';
  const spec = (names: string[], state = 'Loaded'): string => policy(NS, 'edited', sim.uri, `  selector: { names: [${names.join(', ')}] }\n  state: ${state}`);

  before(async () => {
    sim = await startSimulator({ loadMillis: 200 });
    for (const n of ['a', 'b', 'c', 'd']) sim.state.createCollection('default', n, { rows: 10 });
    kube = await startKube();
    await installCrds(kube, [NS]);
    await apply(kube, spec(['a']));
    proxy = await FreezingProxy.start(kube.server);
    const kubeconfig = await kubeconfigVia(kube, proxy.url, `${kube.dir}/via-proxy.kubeconfig`);
    op = await startOperator(kube, { kubeconfig, env: { MLO_WATCH_TIMEOUT_SECONDS: String(WATCH_TIMEOUT_S) } });
    await untilPolicy(kube, { ns: NS, name: 'edited', op }, 'Ready with a loaded', (p) => settled(p) && loaded('a'), 60_000);
  });

  after(async () => {
    await op?.proc.stop();
    await proxy?.close();
    await Promise.all([sim?.stop(), kube?.stop()]);
  });

  it('apiserver and etcd restarted, an edit made while the operator could not watch: it lands', async () => {
    const pid = op.pid;
    proxy.cut();
    await kube.restart();
    // The operator is blind (every connection refused); the user edits.
    await apply(kube, spec(['a', 'b']));
    // Proof that the operator is trying and failing: three more of its connections refused after the edit.
    const refused = proxy.refused;
    await until('three connection attempts refused after the edit', async () => proxy.refused >= refused + 3, 60_000, 50);
    assert.ok(!loaded('b'), 'the operator acted on an edit it could not have seen: the test is not testing a blind operator');
    const t0 = Date.now();
    proxy.restore();
    // Informer backoff is capped at 30 s; then one reconcile.
    await untilPolicy(kube, { ns: NS, name: 'edited', op }, 'the edit (b added) reported', (p) => settled(p) && p.collections.some((c) => c.name === 'b' && c.state === 'Loaded'), 45_000);
    assert.ok(loaded('b'), 'b loaded in Milvus');
    process.stderr.write(`reliability/kube-faults: edit made while blind landed ${Date.now() - t0} ms after the operator could connect again\n`);
    assert.ok(processAlive(pid) && op.pid === pid, `the operator did not survive the apiserver restart:\n${op.tail()}`);
  });

  it('apiserver and etcd restarted, an edit made the moment it answers: it lands', async () => {
    await kube.restart();
    const t0 = Date.now();
    await apply(kube, spec(['a', 'b', 'c']));
    await untilPolicy(kube, { ns: NS, name: 'edited', op }, 'the edit (c added) reported', (p) => settled(p) && p.collections.some((c) => c.name === 'c' && c.state === 'Loaded'), 45_000);
    assert.ok(loaded('c'));
    process.stderr.write(`reliability/kube-faults: edit made right after the restart landed in ${Date.now() - t0} ms\n`);
    assert.ok(op.proc.isRunning());
  });

  it('a watch that hangs without an error is noticed and re-established; an edit made meanwhile lands', async () => {
    // The policy watch's own stall: its informer is named after the policies path.
    const policyStalls = async (): Promise<number> =>
      (await op.logLines()).filter((l) => l.msg === 'policy watch failed; restarting it' && typeof l.error === 'string' && /watch silent/.test(l.error)).length;
    const watchRestarts = async (): Promise<number | undefined> => {
      const text = await httpGet(op.metricsUrl);
      assert.ok(text, `no answer from ${op.metricsUrl}`);
      return parseExposition(text).value('milvus_load_operator_watch_restarts_total', { resource: 'collectionloadpolicies' });
    };
    // Healthy watches end by the server's timeout every few seconds, never by the watchdog. The watchdog
    // fires after twice the timeout: wait until the apiserver has finished three more policy WATCH requests
    // (three timeouts of healthy watching, counted by the server itself), then check that it never fired.
    const watchesDone = async (): Promise<number> => {
      const r = await kube.kubectl(['get', '--raw', '/metrics']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout
        .split('\n')
        .filter((l) => l.startsWith('apiserver_request_total{') && l.includes('verb="WATCH"') && l.includes('resource="collectionloadpolicies"'))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    const ended = await watchesDone();
    await until('three policy watches ended by the server-side timeout', async () => (await watchesDone()) >= ended + 3, 90_000, 500);
    assert.equal(await policyStalls(), 0, 'the watchdog fired on a healthy watch');
    // After the restarts above a watch may still sit in its backoff: freeze only once both watches are open
    // (without keep-alive, the watches are the operator's only long-lived connections).
    await until('both watches open through the proxy', async () => proxy.openConnections() >= 2, 45_000);
    const restartsBefore = await watchRestarts();
    const frozen = proxy.freeze();
    const t0 = Date.now();
    // The user's edit goes straight to the apiserver; the operator's watch hears nothing.
    await apply(kube, spec(['a', 'b', 'c', 'd'], 'Loaded'));
    await until('the watchdog notices the policy watch stalled', async () => (await policyStalls()) > 0, 90_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message} (${frozen} connections frozen); operator log:\n${op.tail(20)}`);
    });
    const noticed = Date.now() - t0;
    await untilPolicy(kube, { ns: NS, name: 'edited', op }, 'the edit made during the stall (d added) reported', (p) => settled(p) && p.collections.some((c) => c.name === 'd' && c.state === 'Loaded'), 60_000);
    assert.ok(loaded('d'));
    const restartsAfter = await watchRestarts();
    // The same, as a Prometheus scrape sees it.
    assert.ok(restartsBefore !== undefined && restartsAfter !== undefined, 'watch_restarts_total{resource="collectionloadpolicies"} is missing from /metrics');
    assert.ok(restartsAfter > restartsBefore, `watch_restarts_total{resource="collectionloadpolicies"} stayed at ${restartsAfter} across a stall`);
    process.stderr.write(`reliability/kube-faults: stall noticed ${noticed} ms after the freeze; edit landed ${Date.now() - t0} ms after it\n`);
    assert.ok(op.proc.isRunning());
  });
});
