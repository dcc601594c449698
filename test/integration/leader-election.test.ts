// Leader election on a real apiserver. First the elector alone (two
// candidates in this process, real Lease objects); then two operator
// processes against the Milvus simulator, told apart by their own /metrics:
// only the leader calls Milvus; after SIGKILL of the leader the standby takes
// over only once the lease has run out; SIGTERM gives the Lease up. How long
// each handover takes is printed as a diagnostic, not asserted (timings
// belong to `npm run bench`). A known
// credentials token must never show up in logs, events, status or metrics.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../../src/kube/http.ts';
import { LeaderElector } from '../../src/kube/leader.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { parseExposition, type Exposition } from '../env/prom.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'sk-leader-test-7f3a9c2e5b1d';
const LEASE_S = 6;

interface Replica {
  name: string;
  proc: ManagedProcess;
  metrics: string;
  health: string;
  logFile: string;
}

describe('leader election', { timeout: 400_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  const replicas: Replica[] = [];
  const quiet = createLogger('error', {}, () => undefined);

  before(async () => {
    sim = await startSimulator({ loadMillis: 300 });
    kube = await startKube();
    for (let i = 0; i < 20; i++) sim.state.createCollection('default', `c${i}`, { rows: 100 });
    sim.faults.authRequired({ token: TOKEN });
    assert.equal((await kube.kubectl(['apply', '-f', `${root}crds/`])).code, 0);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'ops']);
    await kube.kubectl(['create', 'namespace', 'system']);
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.proc.stop()));
    await Promise.all([sim?.stop(), kube?.stop()]);
  });

  interface LeaseView {
    spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
  }
  const readLease = async (name: string): Promise<LeaseView> => {
    const r = await kube.kubectl(['get', 'lease', name, '-n', 'system', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as LeaseView;
  };

  const httpFor = (): KubeHttp => {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    return new KubeHttp(kc);
  };

  it('elects exactly one candidate, hands over on stop, and a leader whose Lease is taken stops at once', async () => {
    const state = { a: 0, b: 0, lostA: '', lostB: '' };
    // Lease reads per candidate: proof that a standby has looked (and was refused), without sleeping.
    const reads = { a: 0, b: 0 };
    const mk = (id: 'a' | 'b') => {
      const http = httpFor();
      const call = http.call.bind(http);
      http.call = ((...args: Parameters<KubeHttp['call']>) => {
        if (args[0] === 'GET') reads[id]++;
        return call(...args);
      });
      return new LeaderElector({
        http,
        namespace: 'system',
        name: 'unit',
        identity: id,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 300,
        log: quiet,
        onStartedLeading: () => state[id]++,
        onStoppedLeading: (why) => (id === 'a' ? (state.lostA = why) : (state.lostB = why)),
      });
    };
    const a = mk('a');
    const b = mk('b');
    a.start();
    b.start();
    await until('one leader', async () => a.isLeader() || b.isLeader(), 20_000, 50);
    const standbyId = a.isLeader() ? 'b' : 'a';
    // The standby tries again every retry period: after three more reads it has been refused three times.
    const readsThen = reads[standbyId];
    let bothLed = false;
    await until('the standby has read the Lease three more times', async () => {
      bothLed ||= a.isLeader() && b.isLeader();
      return reads[standbyId] >= readsThen + 3;
    }, 20_000, 20);
    assert.equal(bothLed, false, 'two candidates led at once');
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1, 'exactly one leads');
    assert.equal(state.a + state.b, 1, 'leadership started once');
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    const lease = await readLease('unit');
    assert.equal(lease.spec.holderIdentity, leader === a ? 'a' : 'b');
    assert.equal(lease.spec.leaseDurationSeconds, 3);
    assert.match(lease.spec.renewTime ?? '', /\.\d{6}Z$/, 'MicroTime with six fractional digits');

    const readsAtStop = reads[standbyId];
    await leader.stop();
    // A clean stop gives the Lease up (empty holder), so the standby need not wait out the 3 s lease.
    const given = await readLease('unit');
    assert.ok(given.spec.holderIdentity === '' || given.spec.holderIdentity === standbyId, `after a clean stop the Lease is held by ${String(given.spec.holderIdentity)}`);
    await until('standby takes over', async () => standby.isLeader(), 20_000, 20);
    assert.equal((await readLease('unit')).spec.holderIdentity, standbyId);
    // A count, not a time: the standby took the released Lease at its next read (one more may have been in
    // flight), instead of reading it every retry period until the 3 s lease ran out (about ten reads).
    assert.ok(reads[standbyId] - readsAtStop <= 2, `the standby read the Lease ${reads[standbyId] - readsAtStop} times before taking a released one`);
    assert.equal(state.lostA + state.lostB, '', 'a clean stop is not reported as lost leadership');

    // Someone else writes the Lease (e.g. an operator with the same id in another install).
    const cur = JSON.parse((await kube.kubectl(['get', 'lease', 'unit', '-n', 'system', '-o', 'json'])).stdout) as { spec: Record<string, unknown> };
    const patch = JSON.stringify({ spec: { ...cur.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 } });
    assert.equal((await kube.kubectl(['patch', 'lease', 'unit', '-n', 'system', '--type=merge', '-p', patch])).code, 0);
    await until('the old leader notices', async () => !standby.isLeader(), 20_000, 20);
    assert.match(state.lostA + state.lostB, /taken by another replica/);
    await standby.stop();
  });

  const scrape = async (r: Replica): Promise<Exposition> => parseExposition(await (await fetch(`http://${r.metrics}/metrics`)).text());
  const milvusCalls = async (r: Replica): Promise<number> => (await scrape(r)).value('milvus_load_operator_milvus_requests_total');
  const isLeader = async (r: Replica): Promise<boolean> => (await scrape(r)).value('milvus_load_operator_leader') === 1;

  async function startReplica(name: string): Promise<Replica> {
    const logFile = `${kube.dir}/${name}.log`;
    const { proc, metrics, health } = await spawnOperator({
      kubeconfig: kube.kubeconfigPath,
      logFile,
      name,
      resync: '2s',
      logLevel: 'debug',
      args: ['--leader-elect', '--leader-election-namespace', 'system', '--lease-duration', `${LEASE_S}s`, '--renew-deadline', '4s', '--retry-period', '1s'],
      env: { ...process.env, POD_NAME: name },
    });
    const r = { name, proc, metrics, health, logFile };
    replicas.push(r);
    await until(`${name} serves /readyz`, async () => (await fetch(`http://${r.health}/readyz`).catch(() => undefined))?.status === 200, 60_000);
    return r;
  }

  it('two operator processes: only the leader calls Milvus; after SIGKILL the standby waits out the lease, SIGTERM gives it up', async (t) => {
    await kube.kubectl(['create', 'secret', 'generic', 'milvus-token', '-n', 'ops', `--from-literal=token=${TOKEN}`]);
    await kube.kubectl(['annotate', 'secret', 'milvus-token', '-n', 'ops', `milvusload.io/allowed-endpoints=${sim.address}`]);
    const policy = (state: string) =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: all, namespace: ops }\nspec:\n  milvus:\n    uri: "${sim.uri}"\n    credentialsSecret: { name: milvus-token }\n  selector: { patterns: ["c*"] }\n  state: ${state}\n`;
    const applied = await kube.kubectl(['apply', '-f', '-'], { input: policy('Loaded') });
    assert.equal(applied.code, 0, applied.stderr);
    const one = await startReplica('replica-1');
    const two = await startReplica('replica-2');
    await until('someone leads', async () => (await isLeader(one)) || (await isLeader(two)), 30_000);
    const [leader, standby] = (await isLeader(one)) ? [one, two] : [two, one];
    assert.equal((await kube.kubectl(['wait', '--for=condition=Ready', 'clp/all', '-n', 'ops', '--timeout=60s'])).code, 0, leader.proc.tail(30));
    const before = await scrape(leader);
    // Two more reconciles (resyncs every 2 s): the standby has had as long to act, had it wrongly done so.
    await until('two more reconciles by the leader', async () => (await scrape(leader)).value('milvus_load_operator_reconcile_total') >= before.value('milvus_load_operator_reconcile_total') + 2, 60_000);
    const after1 = await scrape(leader);
    assert.ok(after1.value('milvus_load_operator_milvus_requests_total', { method: 'listCollections', outcome: 'ok' }) > 0);
    assert.ok(after1.value('milvus_load_operator_milvus_requests_total', { method: 'load', outcome: 'ok' }) >= 20);
    assert.equal(after1.value('milvus_load_operator_collections', { state: 'Loaded' }), 20);
    assert.equal(after1.value('milvus_load_operator_policies', { ready: 'true' }), 1);
    assert.ok(after1.value('milvus_load_operator_reconcile_duration_seconds_count') > 0);
    assert.equal(await milvusCalls(standby), 0, 'the standby never calls Milvus');
    assert.equal((await scrape(standby)).value('milvus_load_operator_leader'), 0);
    assert.equal((await fetch(`http://${standby.health}/readyz`)).status, 200, 'a standby with synced caches is ready');

    // SIGKILL: no goodbye; the standby waits out the lease, then acts.
    const killedAt = Date.now();
    await leader.proc.kill();
    // The dead leader's last renewal: nobody else may hold the Lease until it has expired.
    const last = await readLease('milvus-load-operator');
    assert.equal(last.spec.holderIdentity, leader.name);
    await until('the standby leads after SIGKILL', async () => isLeader(standby), 60_000, 100);
    t.diagnostic(`failover after SIGKILL: ${Date.now() - killedAt} ms (lease ${LEASE_S}s)`);
    const took = await readLease('milvus-load-operator');
    assert.equal(took.spec.holderIdentity, standby.name);
    assert.equal(took.spec.leaseTransitions, (last.spec.leaseTransitions ?? 0) + 1);
    // Order, not time: the standby acquired only after the lease had run out (no two leaders).
    assert.ok(Date.parse(took.spec.acquireTime ?? '') >= Date.parse(last.spec.renewTime ?? '') + LEASE_S * 1000, `acquired at ${String(took.spec.acquireTime)}, before the lease renewed at ${String(last.spec.renewTime)} had expired`);
    assert.equal((await kube.kubectl(['apply', '-f', '-'], { input: policy('Released') })).code, 0);
    await until('the new leader releases', async () => sim.state.loadState(sim.state.collection('default', 'c0')) === 'LoadStateNotLoad', 30_000);
    assert.ok((await milvusCalls(standby)) > 0, 'the new leader calls Milvus');

    // SIGTERM: the leader gives the Lease up, so a fresh standby takes over in about one retry period.
    const three = await startReplica('replica-3');
    assert.equal(await isLeader(three), false);
    const termAt = Date.now();
    process.kill(standby.proc.pid, 'SIGTERM');
    assert.equal(await standby.proc.exited, 0, 'SIGTERM is a clean exit');
    const released = await readLease('milvus-load-operator');
    assert.ok(released.spec.holderIdentity === '' || released.spec.holderIdentity === 'replica-3', `after SIGTERM the Lease is held by ${String(released.spec.holderIdentity)}`);
    await until('replica-3 leads after SIGTERM', async () => isLeader(three), 60_000, 100);
    t.diagnostic(`handover after SIGTERM: ${Date.now() - termAt} ms`);
    assert.equal((await readLease('milvus-load-operator')).spec.holderIdentity, 'replica-3');
    assert.match(await readFile(standby.logFile, 'utf8'), /gave up the leader election Lease/);
    // Every line of every log is JSON with a level.
    for (const r of replicas) {
      for (const line of (await readFile(r.logFile, 'utf8')).split('\n').filter((l) => l.startsWith('{'))) {
        assert.match(String((JSON.parse(line) as { level?: string }).level), /^(debug|info|warn|error)$/);
      }
    }

    // The token must be nowhere a person or a scraper can see.
    const places: [string, string][] = [];
    for (const r of replicas) places.push([`${r.name} log`, await readFile(r.logFile, 'utf8')]);
    places.push(['metrics', await (await fetch(`http://${three.metrics}/metrics`)).text()]);
    places.push(['events', (await kube.kubectl(['get', 'events', '-A', '-o', 'json'])).stdout]);
    places.push(['status', (await kube.kubectl(['get', 'clp', '-A', '-o', 'json'])).stdout]);
    places.push(['leases', (await kube.kubectl(['get', 'leases', '-A', '-o', 'json'])).stdout]);
    for (const [where, text] of places) assert.ok(!text.includes(TOKEN), `the token leaked into ${where}`);
    assert.match(places.find(([w]) => w === 'events')?.[1] ?? '', /"reason": ?"(LoadStarted|Loaded)"/, 'events were recorded (the check above looked at real ones)');
  });
});
