// Reliability: bad and hostile input that gets past admission. Each hostile
// policy gets a condition that says what is wrong, and none of them stalls a
// healthy policy on the same Milvus instance or on another one:
// - rules the schema cannot express (an unknown IANA time zone, a glob with an
//   unclosed class): Ready=False, reason InvalidSpec, naming the field;
// - credentials Secrets that are missing, have unknown keys, or hold binary
//   garbage as the token;
// - a selector that matches 10,000 collections, whose status must stay far
//   under the apiserver's object size limit (capped list + counts);
// - a Milvus that answers every call after 30 s.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { apply, installCrds, isReady, policy, startOperator, untilPolicy, type OperatorProcess, type PolicyView } from './support.ts';

const NS = 'rel-hostile';
const MANY = 10_000;
const condition = (p: PolicyView, type: string): { status: string; reason: string; message: string } | undefined => p.conditions.get(type);
const failedWith =
  (reason: string) =>
  (p: PolicyView): boolean =>
    condition(p, 'Ready')?.status === 'False' && condition(p, 'Ready')?.reason === reason && p.observedGeneration === p.generation;

describe('reliability: bad and hostile input', { timeout: 420_000 }, () => {
  let kube: KubeEnv;
  let main: MilvusSimulator;
  let secured: MilvusSimulator;
  let big: MilvusSimulator;
  let slow: MilvusSimulator;
  let other: MilvusSimulator;
  let op: OperatorProcess;
  const nsPolicy = (name: string, sim: MilvusSimulator, spec: string, milvusExtra = ''): string => policy(NS, name, sim.uri, spec, milvusExtra);

  before(async () => {
    main = await startSimulator({ loadMillis: 100 });
    secured = await startSimulator({ loadMillis: 100 });
    big = await startSimulator({ loadMillis: 0 });
    slow = await startSimulator({ loadMillis: 100 });
    other = await startSimulator({ loadMillis: 100 });
    for (const n of ['healthy', 'zoned', 'logs_1']) main.state.createCollection('default', n, { rows: 10 });
    secured.state.createCollection('default', 'private', { rows: 10 });
    secured.faults.authRequired({ token: 'right-token' });
    // Long names (200 characters) make each status entry as large as Milvus allows in practice.
    const pad = 'x'.repeat(190);
    for (let i = 0; i < MANY; i++) big.state.createCollection('default', `c_${pad}_${String(i).padStart(5, '0')}`, { rows: 1 });
    big.state.createCollection('default', 'neighbour', { rows: 10 });
    slow.state.createCollection('default', 'sluggish', { rows: 10 });
    other.state.createCollection('default', 'elsewhere', { rows: 10 });
    kube = await startKube();
    await installCrds(kube, [NS]);
    const binary = `${kube.dir}/binary-token`;
    // Random bytes with a NUL, a newline and invalid UTF-8 in them.
    await writeFile(binary, Buffer.concat([Buffer.from([0, 10, 0xff, 0xfe, 0xc3]), randomBytes(64)]));
    for (const args of [
      ['create', 'secret', 'generic', 'good', '-n', NS, '--from-literal=token=right-token'],
      ['create', 'secret', 'generic', 'wrong-keys', '-n', NS, '--from-literal=user=alice', '--from-literal=pass=word'],
      ['create', 'secret', 'generic', 'binary', '-n', NS, `--from-file=token=${binary}`],
      // All three may go to the secured simulator (docs/adr/0008): these cases are about their content.
      ['annotate', 'secret', 'good', 'wrong-keys', 'binary', '-n', NS, `milvusload.io/allowed-endpoints=${secured.address}`],
    ]) {
      const r = await kube.kubectl(args);
      assert.equal(r.code, 0, r.stderr);
    }
    await apply(
      kube,
      [
        nsPolicy('healthy-main', main, '  selector: { names: [healthy] }'),
        nsPolicy('bad-zone', main, '  selector: { names: [zoned] }\n  schedule:\n    timeZone: Mars/Olympus_Mons\n    windows: [{ start: "07:00", end: "20:00" }]'),
        nsPolicy('bad-glob', main, '  selector: { patterns: ["logs_[0-9"] }'),
        nsPolicy('secured-ok', secured, '  selector: { names: [private] }', ', credentialsSecret: { name: good }'),
        nsPolicy('secret-missing', secured, '  selector: { names: [private] }', ', credentialsSecret: { name: not-there }'),
        nsPolicy('secret-wrong-keys', secured, '  selector: { names: [private] }', ', credentialsSecret: { name: wrong-keys }'),
        nsPolicy('secret-binary', secured, '  selector: { names: [private] }', ', credentialsSecret: { name: binary }'),
      ].join(''),
    );
    op = await startOperator(kube, { resync: '3s' });
  });

  after(async () => {
    await op?.proc.stop();
    await Promise.all([main, secured, big, slow, other].map((s) => s?.stop()));
    await kube?.stop();
  });

  it('rules the schema cannot express: InvalidSpec naming the field; the healthy policy beside them loads', async () => {
    await untilPolicy(kube, { ns: NS, name: 'healthy-main', op }, 'Ready', isReady, 60_000);
    const zone = await untilPolicy(kube, { ns: NS, name: 'bad-zone', op }, 'InvalidSpec', failedWith('InvalidSpec'), 30_000);
    assert.match(condition(zone, 'Ready')?.message ?? '', /spec\.schedule\.timeZone.*Mars\/Olympus_Mons.*IANA/);
    assert.equal(condition(zone, 'Degraded')?.status, 'True');
    const glob = await untilPolicy(kube, { ns: NS, name: 'bad-glob', op }, 'InvalidSpec', failedWith('InvalidSpec'), 30_000);
    assert.match(condition(glob, 'Ready')?.message ?? '', /spec\.selector\.patterns\[0\]/);
    // An invalid policy claims nothing and changes nothing.
    assert.equal(main.state.loadState(main.state.collection('default', 'zoned')), 'LoadStateNotLoad');
    assert.equal(main.state.loadState(main.state.collection('default', 'logs_1')), 'LoadStateNotLoad');
    assert.equal(main.state.loadState(main.state.collection('default', 'healthy')), 'LoadStateLoaded');
  });

  it('credentials: a missing Secret, unknown keys and a binary token each say what to fix; the good one loads', async () => {
    await untilPolicy(kube, { ns: NS, name: 'secured-ok', op }, 'Ready', isReady, 60_000);
    const missing = await untilPolicy(kube, { ns: NS, name: 'secret-missing', op }, 'SecretNotFound', failedWith('SecretNotFound'), 30_000);
    assert.match(condition(missing, 'Ready')?.message ?? '', /Secret rel-hostile\/not-there.*does not exist.*create it/);
    const keys = await untilPolicy(kube, { ns: NS, name: 'secret-wrong-keys', op }, 'SecretInvalid', failedWith('SecretInvalid'), 30_000);
    assert.match(condition(keys, 'Ready')?.message ?? '', /neither key token nor both keys username and password/);
    // The binary "token" reaches Milvus, which refuses it.
    const binary = await untilPolicy(kube, { ns: NS, name: 'secret-binary', op }, 'a condition that names the failure', (p) => condition(p, 'Degraded')?.status === 'True' && p.observedGeneration === p.generation, 30_000);
    const reason = condition(binary, 'Ready')?.reason ?? '';
    assert.equal(reason, 'AuthenticationFailed', `binary token: ${condition(binary, 'Ready')?.message}`);
    process.stderr.write(`reliability/hostile: binary token -> ${reason}: ${condition(binary, 'Ready')?.message}\n`);
    const all = (await kube.kubectl(['get', 'clp,events', '-n', NS, '-o', 'yaml'])).stdout + (await op.logLines()).map((l) => JSON.stringify(l)).join('\n');
    assert.ok(!all.includes('right-token'), 'a token appeared in a status, an event or a log line');
    assert.ok(op.proc.isRunning());
  });

  it(`a selector matching ${MANY.toLocaleString('en')} collections: all loaded, status capped far under the size limit, the neighbour not starved`, async () => {
    const t0 = Date.now();
    await apply(kube, nsPolicy('everything', big, '  selector: { patterns: ["c_*"] }') + nsPolicy('neighbour', big, '  selector: { names: [neighbour] }'));
    const p = await untilPolicy(kube, { ns: NS, name: 'everything', op }, `all ${MANY} loaded`, (x) => isReady(x) && x.summary?.loaded === MANY, 240_000);
    const ms = Date.now() - t0;
    // The neighbour on the same instance is not held back behind the big one: a count, not a time. It is
    // Ready at most one reconcile of the instance after the big one was seen Ready (one more for the
    // time between our reads and the operator's passes).
    const passes = async (): Promise<number> => (await op.logLines()).filter((l) => l.msg === 'reconciled' && l.instance === big.address).length;
    const passesAtBigReady = await passes();
    await untilPolicy(kube, { ns: NS, name: 'neighbour', op }, 'Ready', isReady, 60_000);
    // The neighbour may be Ready within the very reconcile that made the big one Ready (a cell touched
    // during a reconcile is done again in it), before that reconcile logs its line.
    const later = (await passes()) - passesAtBigReady;
    await until('a reconcile of the instance logged', async () => (await passes()) > 0, 60_000);
    assert.ok(later <= 2, `the neighbour was Ready only ${later} reconciles of the instance after the big policy`);
    assert.equal(p.summary?.matched, MANY);
    assert.ok(p.collections.length <= 100, `${p.collections.length} collections listed in status`);
    assert.equal(p.collectionsOmitted, MANY - p.collections.length, 'the rest are counted');
    process.stderr.write(`reliability/hostile: ${MANY} collections loaded and reported in ${ms} ms (LoadCollection calls ${big.counters.LoadCollection}); status object ${p.size} bytes\n`);
    // etcd's default request limit is 1.5 MiB; a status should be a small fraction of it.
    assert.ok(p.size < 128 * 1024, `the policy object is ${p.size} bytes`);
    assert.equal(big.counters.LoadCollection, MANY + 1, 'one load per collection, no more');
  });

  it('a Milvus that takes 30 s per call: MilvusTimeout on its policy; a policy on another instance converges promptly meanwhile', async () => {
    // Just past the default per-call timeout (spec.milvus.timeoutSeconds: 30), so every call times out.
    slow.faults.latencyMs('*', 30_500);
    await apply(kube, nsPolicy('sluggish', slow, '  selector: { names: [sluggish] }'));
    await until('the slow Milvus got a call', async () => slow.totalCalls() > 0, 30_000);
    const t0 = Date.now();
    await apply(kube, nsPolicy('elsewhere', other, '  selector: { names: [elsewhere] }'));
    // Order, not time: each converges while the first 30 s call is still in flight, before the slow policy reports its timeout.
    const notTimedOutYet = async (what: string): Promise<void> => {
      const sluggish = await untilPolicy(kube, { ns: NS, name: 'sluggish', op }, 'read', () => true, 30_000);
      assert.notEqual(condition(sluggish, 'Degraded')?.reason, 'MilvusTimeout', `${what} waited behind the slow Milvus's call`);
    };
    await untilPolicy(kube, { ns: NS, name: 'elsewhere', op }, 'Ready while the slow Milvus holds a call', isReady, 90_000);
    const promptMs = Date.now() - t0;
    await notTimedOutYet('a policy on another instance');
    // And a policy on an instance that is already known keeps converging too.
    main.state.createCollection('default', 'later', { rows: 10 });
    await apply(kube, nsPolicy('later-main', main, '  selector: { names: [later] }'));
    await untilPolicy(kube, { ns: NS, name: 'later-main', op }, 'Ready', isReady, 90_000);
    await notTimedOutYet('a policy on a known instance');
    const timedOut = await untilPolicy(kube, { ns: NS, name: 'sluggish', op }, 'MilvusTimeout', (p) => condition(p, 'Degraded')?.reason === 'MilvusTimeout', 90_000);
    assert.match(condition(timedOut, 'Degraded')?.message ?? '', /timeoutSeconds/, 'the message says which setting to look at');
    assert.equal(condition(timedOut, 'Ready')?.status, 'False');
    process.stderr.write(`reliability/hostile: other instance Ready ${promptMs} ms after apply while a 30 s call was in flight; slow policy MilvusTimeout after ${Date.now() - t0} ms\n`);
    assert.ok(op.proc.isRunning());
  });
});
