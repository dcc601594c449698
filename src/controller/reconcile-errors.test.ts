// Every Milvus error reason reaches the status with its advice and its class,
// whether it comes from a load, a release or the observation itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADVICE, type MilvusErrorReason } from '../milvus/errors.ts';
import { policy, T0 } from '../planner/testkit.ts';
import { Harness, realFailure, REAL_FAILURES } from './testkit.ts';

/** The class each reason must have on a failed load (DESIGN §2); notFound on a load is a passing failure. */
const LOAD_CLASS: Readonly<Record<MilvusErrorReason, 'Terminal' | 'Retryable'>> = {
  CollectionNotFound: 'Retryable',
  CollectionNotLoaded: 'Terminal',
  DatabaseNotFound: 'Retryable',
  PartitionNotFound: 'Retryable',
  IndexNotFound: 'Terminal',
  InsufficientMemory: 'Retryable',
  NotEnoughQueryNodes: 'Terminal',
  AuthenticationFailed: 'Terminal',
  PermissionDenied: 'Terminal',
  ReconfigureRefused: 'Terminal',
  InvalidRequest: 'Terminal',
  Unimplemented: 'Terminal',
  MilvusUnavailable: 'Retryable',
  MilvusTimeout: 'Retryable',
  MilvusError: 'Retryable',
};

function onePolicy(): Harness {
  const h = new Harness({ start: T0 });
  h.milvus.add('c1');
  h.kube.apply(policy({ name: 'p' }));
  return h;
}

describe('reconcile: a failed load, for every reason', () => {
  for (const reason of Object.keys(LOAD_CLASS) as MilvusErrorReason[]) {
    it(`${reason}: status shows the reason, the advice and class ${LOAD_CLASS[reason]}`, async () => {
      const h = onePolicy();
      const err = reason === 'MilvusError' ? new Error('something odd') : realFailure(reason, 'LoadCollection');
      h.milvus.failNext('load', err as ReturnType<typeof realFailure>);
      const o = await h.pass();
      assert.equal(o.ok, true);
      const e = h.entry('p', 'c1');
      assert.equal(e.state, 'Failed');
      assert.equal(e.lastError?.reason, reason);
      assert.equal(e.lastError?.class, LOAD_CLASS[reason]);
      assert.equal(e.lastError?.action, 'Load');
      if (reason !== 'MilvusError') assert.ok(e.message?.includes(ADVICE[reason]), e.message);
      assert.equal(h.condition('p', 'Ready').reason, reason);
      assert.equal(h.condition('p', 'Degraded').status, 'True');
      assert.equal(h.condition('p', 'Stalled').status, LOAD_CLASS[reason] === 'Terminal' ? 'True' : 'False');
      assert.equal(h.condition('p', 'Reconciling').status, LOAD_CLASS[reason] === 'Terminal' ? 'False' : 'True');
      assert.equal(h.condition('p', 'Progressing').status, 'False');
      const warning = h.kube.events.find((ev) => ev.reason === reason);
      assert.equal(warning?.type, 'Warning');
    });
  }

  it('a failed release is named as one (ReleasePermissionDenied)', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1', { percent: 100 });
    h.kube.apply(policy({ name: 'p', spec: { state: 'Released' } }));
    h.milvus.failNext('release', realFailure('PermissionDenied', 'ReleaseCollection'));
    await h.pass();
    const e = h.entry('p', 'c1');
    assert.equal(e.reason, 'ReleasePermissionDenied');
    assert.equal(e.lastError?.action, 'Release');
    assert.equal(h.condition('p', 'Stalled').status, 'True');
  });

  it('covers every reason the classifier knows', () => {
    assert.deepEqual(Object.keys(LOAD_CLASS).sort(), [...Object.keys(REAL_FAILURES), 'MilvusError'].sort());
    assert.deepEqual(Object.keys(ADVICE).sort(), Object.keys(LOAD_CLASS).sort());
  });
});

describe('reconcile: a failed observation', () => {
  const cases: [Parameters<typeof realFailure>[0], 'True' | 'False'][] = [
    ['AuthenticationFailed', 'True'],
    ['PermissionDenied', 'True'],
    ['DatabaseNotFound', 'False'],
    ['MilvusTimeout', 'False'],
  ];
  for (const [reason, stalled] of cases) {
    it(`${reason} on ShowCollections: not Ready, Degraded, Stalled=${stalled}, the advice in the message`, async () => {
      const h = onePolicy();
      h.milvus.failWhen('listCollections', () => realFailure(reason, 'ShowCollections'));
      const o = await h.pass();
      assert.equal(o.ok, true);
      assert.equal(h.milvus.count('load'), 0);
      const ready = h.condition('p', 'Ready');
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, reason);
      assert.ok(ready.message.includes(ADVICE[reason]), ready.message);
      assert.equal(h.condition('p', 'Degraded').status, 'True');
      assert.equal(h.condition('p', 'Stalled').status, stalled);
    });
  }

  it('MilvusUnavailable: the pass fails (the queue backs off), the status says so and keeps the last picture', async () => {
    const h = onePolicy();
    await h.pass();
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
    h.milvus.down = true;
    h.clock.advance(30_000);
    assert.deepEqual(await h.pass(), { ok: false, retry: true });
    assert.equal(h.condition('p', 'Ready').reason, 'MilvusUnavailable');
    assert.equal(h.condition('p', 'Reconciling').status, 'True');
    assert.equal(h.entry('p', 'c1').state, 'Loaded', 'last known collections kept');
    assert.equal(h.stats.at(-1)?.milvusReachable, false);
    h.milvus.down = false;
    h.clock.advance(5_000);
    assert.equal((await h.pass()).ok, true);
    assert.equal(h.condition('p', 'Ready').status, 'True');
  });
});

describe('reconcile: a load Milvus gave up', () => {
  it('reads the reason Milvus replays on GetLoadingProgress, and retries after the backoff', async () => {
    const h = onePolicy();
    h.milvus.loadSteps = 4;
    await h.pass();
    assert.equal(h.entry('p', 'c1').state, 'Loading');
    delete h.milvus.collection('c1').percent;
    h.milvus.failNext('loadProgress', realFailure('InsufficientMemory', 'GetLoadingProgress'));
    h.clock.advance(2_000);
    await h.pass();
    const e = h.entry('p', 'c1');
    assert.equal(e.state, 'Failed');
    assert.equal(e.reason, 'InsufficientMemory');
    assert.match(e.message ?? '', /Milvus gave up loading it/);
    assert.equal(h.milvus.count('load'), 1, 'not loaded again at once');
    assert.equal(h.milvus.count('loadProgress'), 1);
    await h.drive(10_000);
    assert.equal(h.milvus.count('load'), 2);
  });

  it('keeps the reason of every collection of a policy that Milvus gave up in the same pass', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.milvus.add('c2');
    h.kube.apply(policy({ name: 'p', spec: { selector: { names: ['c1', 'c2'] } } }));
    h.milvus.loadSteps = 4;
    await h.pass();
    delete h.milvus.collection('c1').percent;
    delete h.milvus.collection('c2').percent;
    h.milvus.failNext('loadProgress', realFailure('InsufficientMemory', 'GetLoadingProgress'), 2);
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.milvus.count('loadProgress'), 2);
    for (const name of ['c1', 'c2']) assert.equal(h.entry('p', name).reason, 'InsufficientMemory', `${name} keeps its reason`);
    assert.equal(h.milvus.count('load'), 2, 'neither is loaded again at once');
  });

  it('a collection released by hand while loading is loaded again (GetLoadingProgress: not loaded)', async () => {
    const h = onePolicy();
    h.milvus.loadSteps = 4;
    await h.pass();
    delete h.milvus.collection('c1').percent;
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.milvus.count('loadProgress'), 1);
    assert.equal(h.milvus.count('load'), 2);
  });
});

describe('reconcile: what is observed only where needed', () => {
  it('partitions: loads only the named ones, and reports a missing one', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1', { partitions: new Map([['_default', undefined], ['p1', undefined]]) });
    h.kube.apply(policy({ name: 'p', spec: { partitions: ['p1', 'p9'] } }));
    await h.pass();
    assert.deepEqual(h.milvus.loads[0]?.req.partitions, ['p1']);
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.entry('p', 'c1').reason, 'PartitionNotFound');
    assert.match(h.entry('p', 'c1').message ?? '', /p9/);
  });

  it('replicas: a different count reloads; a refusal is reported and not repeated at once', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1', { percent: 100, replicas: 1 });
    h.kube.apply(policy({ name: 'p', spec: { load: { replicas: 2 } } }));
    h.milvus.failNext('load', realFailure('ReconfigureRefused', 'LoadCollection'));
    await h.pass();
    assert.equal(h.milvus.count('replicas'), 1);
    assert.equal(h.milvus.loads[0]?.req.replicas, 2);
    assert.equal(h.entry('p', 'c1').lastError?.reason, 'ReconfigureRefused');
    await h.drive(20_000);
    assert.equal(h.milvus.count('load'), 1);
  });

  it('a budget: sizes from the schema and measured segments, and a budget status write', async () => {
    const { budget } = await import('../planner/testkit.ts');
    const h = new Harness({ start: T0, budgets: [budget('b', '1Gi')] });
    h.milvus.add('c1');
    h.milvus.add('c2', { percent: 100 });
    h.kube.apply(policy({ name: 'p', spec: { selector: { names: ['c1', 'c2'] } } }));
    await h.pass();
    assert.ok(h.milvus.count('describe') >= 2);
    assert.ok(h.milvus.count('rowCount') >= 2);
    assert.equal(h.milvus.count('segmentMemory'), 1, 'measured only for the loaded one');
    assert.equal(h.kube.budgetPatches.length, 1);
    assert.equal(h.entry('p', 'c2').memorySource, 'Measured');
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.milvus.count('describe'), 3, 'c2 cached; c1 forgotten after its load and read again');
  });
});
