// What the reconciler writes to Kubernetes, and what it does when a write fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policy, T0 } from '../planner/testkit.ts';
import { Harness } from './testkit.ts';

function onePolicy(o: { dryRun?: boolean } = {}): Harness {
  const h = new Harness({ start: T0, ...o });
  h.milvus.add('c1');
  h.kube.apply(policy({ name: 'p' }));
  return h;
}

describe('reconcile: status writes', () => {
  it('writes a status only when it changed, and refreshes lastSyncTime at the heartbeat', async () => {
    const h = onePolicy();
    h.milvus.loadSteps = 2; // still loading at the end of the first pass
    await h.pass();
    assert.equal(h.status('p').collections?.[0]?.state, 'Loading');
    for (let i = 0; i < 3 && h.status('p').collections?.[0]?.state !== 'Loaded'; i++) {
      h.clock.advance(2_000);
      await h.pass();
    }
    assert.equal(h.status('p').collections?.[0]?.state, 'Loaded');
    const writes = h.kube.statusPatches.length;
    h.clock.advance(30_000);
    await h.pass();
    assert.equal(h.kube.statusPatches.length, writes, 'nothing changed: no write');
    h.clock.advance(10 * 60_000);
    await h.pass();
    assert.equal(h.kube.statusPatches.length, writes + 1, 'heartbeat');
    assert.equal(h.status('p').lastSyncTime, new Date(h.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('a status PATCH answered NotFound (deleted meanwhile) is not an error', async () => {
    const h = onePolicy();
    h.kube.intercept('patchPolicyStatus', () => h.kube.delete('team', 'p', h.clock.now()));
    const o = await h.pass();
    assert.equal(o.ok, true);
    assert.equal(h.stats.at(-1)?.statusWrites, 0);
    assert.equal(h.kube.events.length, 0, 'no Event for an object that is gone');
  });

  it('any other status PATCH failure fails the pass (the queue retries it)', async () => {
    const h = onePolicy();
    h.kube.failNext('patchPolicyStatus', 'Forbidden');
    await assert.rejects(h.pass(), (e: Error) => e.name === 'KubeApiError' && /Forbidden/.test(e.message));
  });

  it('a failed Event write does not fail the pass, and is logged', async () => {
    const h = onePolicy();
    h.kube.failNext('recordEvent', 'Unavailable');
    const o = await h.pass();
    assert.equal(o.ok, true);
    assert.equal(h.kube.statusPatches.length, 1);
    assert.ok(h.logs.some((l) => l.includes('could not record an event')));
  });

  it('a load Milvus finishes within the pass: one status write, already Loaded, and one Loaded Event', async () => {
    const h = onePolicy();
    const o = await h.pass();
    assert.equal(h.kube.statusPatches.length, 1);
    assert.equal(h.status('p').collections?.[0]?.state, 'Loaded');
    assert.equal(h.condition('p', 'Progressing').status, 'False');
    assert.deepEqual(h.kube.events.map((e) => `${e.type} ${e.reason}`), ['Normal Loaded']);
    assert.equal(o.ok && o.requeueAfterMs, 30_000, 'nothing in flight: no progress poll');
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.kube.statusPatches.length, 1, 'the next pass renders the same status');
  });

  it('a load Milvus has not finished by the end of the pass: LoadStarted now, Loaded at the poll', async () => {
    const h = onePolicy();
    h.milvus.loadSteps = 2;
    const o = await h.pass();
    assert.equal(o.ok && o.requeueAfterMs, 2_000, 'in flight: poll');
    for (let i = 0; i < 3 && h.status('p').collections?.[0]?.state !== 'Loaded'; i++) {
      h.clock.advance(2_000);
      await h.pass();
    }
    assert.deepEqual(h.kube.events.map((e) => `${e.type} ${e.reason}`), ['Normal LoadStarted', 'Normal Loaded']);
    assert.deepEqual(h.kube.events[0]?.target, { kind: 'CollectionLoadPolicy', namespace: 'team', name: 'p', uid: 'uid-p' });
  });
});

describe('reconcile: dry run', () => {
  it('makes no writes and no Milvus mutations, but observes and plans', async () => {
    const h = onePolicy({ dryRun: true });
    h.kube.apply(policy({ name: 'r', spec: { deletionPolicy: 'Release', selector: { names: ['c2'] }, state: 'Released' } }));
    h.milvus.add('c2', { percent: 100 });
    await h.drive(2 * 60_000);
    assert.equal(h.milvus.count('load'), 0);
    assert.equal(h.milvus.count('release'), 0);
    assert.ok(h.milvus.count('listCollections') > 0);
    for (const m of ['patchPolicyStatus', 'patchBudgetStatus', 'setFinalizers', 'recordEvent'] as const) assert.equal(h.kube.count(m), 0, m);
    assert.equal(h.kube.get('team', 'p')?.status, undefined);
    assert.ok(h.logs.some((l) => l.includes('dry run: would act') && l.includes('load default/c1') && l.includes('release default/c2') && l.includes(`addFinalizer team/r`)));
    const plan = h.stats.at(-1)?.plan;
    assert.ok(plan?.actions.some((a) => a.kind === 'load'));
  });
});

describe('reconcile: load priority', () => {
  const prioritized = (): Harness => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.apply(policy({ name: 'p', spec: { load: { priority: 'High' } } as never }));
    return h;
  };

  it('a server before 2.6 is not sent the priority, and the status says so', async () => {
    const h = prioritized();
    await h.pass();
    assert.equal(h.milvus.loads[0]?.req.priority, 'High', 'the port was asked with it');
    assert.match(h.status('p').collections?.[0]?.message ?? '', /load priority High not sent: Milvus v2\.3\.5 has none \(it needs 2\.6 or newer\)/);
  });

  it('a 2.6 server gets it, with no note', async () => {
    const h = prioritized();
    h.milvus.version = 'v2.6.0';
    await h.pass();
    assert.doesNotMatch(h.status('p').collections?.[0]?.message ?? '', /priority/);
  });
});
