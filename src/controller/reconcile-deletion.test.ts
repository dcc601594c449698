// Finalizer first, finalizer last: a `deletionPolicy: Release` policy gets its
// finalizer in its own write before any load, and loses it only after the
// releases it guards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELEASE_FINALIZER } from '../api/constants.ts';
import { policy, T0 } from '../planner/testkit.ts';
import { Harness, realFailure } from './testkit.ts';

function releasing(o: { loaded?: boolean; finalizer?: boolean; graceMs?: number } = {}): Harness {
  const h = new Harness({ start: T0, ...(o.graceMs !== undefined ? { deletionGraceMs: o.graceMs } : {}) });
  h.milvus.add('c1', o.loaded ? { percent: 100 } : {});
  h.kube.apply(policy({ name: 'p', spec: { deletionPolicy: 'Release' }, ...(o.finalizer ? { finalizers: [RELEASE_FINALIZER] } : {}) }));
  return h;
}

describe('reconcile: finalizer before the loads it guards', () => {
  it('writes the finalizer in its own request, then loads', async () => {
    const h = releasing();
    await h.pass();
    assert.deepEqual(h.kube.finalizerWrites.map((w) => w.finalizers), [[RELEASE_FINALIZER]]);
    assert.equal(h.milvus.count('load'), 1);
  });

  it('never loads for a policy deleted between plan and act (finalizer PATCH answers NotFound)', async () => {
    const h = releasing();
    h.kube.intercept('setFinalizers', () => h.kube.delete('team', 'p', h.clock.now()));
    const o = await h.pass();
    assert.equal(o.ok, true);
    assert.equal(h.milvus.count('load'), 0);
    assert.equal(h.kube.get('team', 'p'), undefined);
    assert.equal(h.kube.count('patchPolicyStatus'), 1, 'the status write meets NotFound too, and that is no error');
  });

  it('never loads when the finalizer PATCH conflicts and a re-read shows the policy being deleted', async () => {
    const h = releasing();
    h.kube.edit('team', 'p', (p) => (p.metadata.finalizers = ['example.com/hold']));
    h.kube.intercept('setFinalizers', () => h.kube.delete('team', 'p', h.clock.now()));
    await h.pass();
    assert.equal(h.kube.count('setFinalizers'), 1);
    assert.equal(h.kube.count('getPolicy'), 1);
    assert.equal(h.milvus.count('load'), 0);
    assert.ok(h.kube.get('team', 'p')?.metadata.deletionTimestamp);
    assert.deepEqual(h.kube.get('team', 'p')?.metadata.finalizers, ['example.com/hold']);
  });

  it('re-reads after a Conflict with the policy still live, and loads in the same pass', async () => {
    const h = releasing();
    h.kube.intercept('setFinalizers', () => h.kube.edit('team', 'p', (p) => (p.metadata.labels = { touched: 'yes' })));
    await h.pass();
    assert.equal(h.kube.count('setFinalizers'), 2);
    assert.equal(h.kube.count('getPolicy'), 1);
    assert.deepEqual(h.kube.get('team', 'p')?.metadata.finalizers, [RELEASE_FINALIZER]);
    assert.equal(h.milvus.count('load'), 1);
  });

  it('gives up after three conflicts in a row and reports it, with no load', async () => {
    const h = releasing();
    h.kube.failNext('setFinalizers', 'Conflict', 3);
    await h.pass();
    assert.equal(h.milvus.count('load'), 0);
    const e = h.entry('p', 'c1');
    assert.equal(e.lastError?.reason, 'FinalizerNotAdded');
    assert.match(e.lastError?.message ?? '', /kept changing/);
    assert.equal(e.lastError?.class, 'Retryable');
  });

  it('reports a finalizer write the API refuses (Forbidden), with no load, and loads once it is allowed', async () => {
    const h = releasing();
    h.kube.failNext('setFinalizers', 'Forbidden');
    await h.pass();
    assert.equal(h.milvus.count('load'), 0);
    assert.equal(h.condition('p', 'Ready').reason, 'FinalizerNotAdded');
    await h.drive(10_000);
    assert.equal(h.milvus.count('load'), 1);
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
  });

  it('reports a failed re-read after a Conflict, with no load', async () => {
    const h = releasing();
    h.kube.failNext('setFinalizers', 'Conflict');
    h.kube.failNext('getPolicy', 'Unavailable');
    await h.pass();
    assert.equal(h.milvus.count('load'), 0);
    assert.equal(h.entry('p', 'c1').lastError?.reason, 'FinalizerNotAdded');
  });

  it('needs no finalizer with deletionPolicy: Retain, and removes one left from Release', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.apply(policy({ name: 'p', spec: { deletionPolicy: 'Retain' }, finalizers: [RELEASE_FINALIZER] }));
    await h.pass();
    assert.equal(h.milvus.count('load'), 1);
    assert.deepEqual(h.kube.finalizerWrites.map((w) => w.finalizers), [[]]);
    await h.pass();
    assert.equal(h.kube.count('setFinalizers'), 1);
  });
});

describe('reconcile: finalizer removed only after the releases', () => {
  it('releases, then removes the finalizer on the next pass, and the object goes', async () => {
    const h = releasing({ loaded: true, finalizer: true });
    h.kube.delete('team', 'p', T0);
    await h.pass();
    assert.deepEqual(h.milvus.releases.map((r) => r.collection), ['c1']);
    assert.deepEqual(h.kube.get('team', 'p')?.metadata.finalizers, [RELEASE_FINALIZER]);
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.kube.get('team', 'p'), undefined);
    assert.equal(h.milvus.collection('c1').percent, undefined);
  });

  it('keeps the finalizer while a release fails, and while the next one waits for its backoff', async () => {
    const h = releasing({ loaded: true, finalizer: true });
    h.kube.delete('team', 'p', T0);
    h.milvus.failNext('release', realFailure('MilvusTimeout', 'ReleaseCollection'));
    await h.pass();
    assert.equal(h.milvus.count('release'), 1);
    assert.deepEqual(h.kube.get('team', 'p')?.metadata.finalizers, [RELEASE_FINALIZER]);
    const e = h.entry('p', 'c1');
    assert.equal(e.reason, 'ReleaseMilvusTimeout');
    h.clock.advance(500);
    await h.pass();
    assert.equal(h.milvus.count('release'), 1, 'held by its backoff');
    assert.deepEqual(h.kube.get('team', 'p')?.metadata.finalizers, [RELEASE_FINALIZER], 'still owed: the finalizer stays');
    // Released after the backoff; the finalizer goes on the next poll, not the next resync.
    await h.drive(10_000);
    assert.equal(h.milvus.count('release'), 2);
    assert.equal(h.kube.get('team', 'p'), undefined);
  });

  it('counts a collection already gone as released', async () => {
    const h = releasing({ loaded: true, finalizer: true });
    h.kube.delete('team', 'p', T0);
    // Dropped by someone between the listing and the release.
    h.milvus.failWhen('release', () => {
      h.milvus.databases.get('default')?.delete('c1');
      h.milvus.clearFailures();
      return realFailure('CollectionNotFound', 'ReleaseCollection');
    });
    await h.pass();
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.kube.get('team', 'p'), undefined);
  });

  it('does not release what another live policy still wants loaded', async () => {
    const h = releasing({ loaded: true, finalizer: true });
    h.kube.apply(policy({ name: 'keeper', created: T0 - 100_000 }));
    h.kube.delete('team', 'p', T0);
    await h.drive(5_000);
    assert.equal(h.milvus.count('release'), 0);
    assert.equal(h.kube.get('team', 'p'), undefined);
  });

  it('gives up after the grace period with Milvus unreachable, with a ReleaseAbandoned Warning', async () => {
    const h = releasing({ loaded: true, finalizer: true, graceMs: 60_000 });
    h.kube.delete('team', 'p', T0);
    h.milvus.down = true;
    const first = await h.pass();
    assert.deepEqual(first, { ok: false, retry: true });
    assert.ok(h.kube.get('team', 'p'), 'kept within the grace period');
    await h.drive(70_000);
    assert.equal(h.kube.get('team', 'p'), undefined);
    const warning = h.kube.events.find((e) => e.reason === 'ReleaseAbandoned');
    assert.equal(warning?.type, 'Warning');
    assert.match(warning?.message ?? '', /release them by hand/);
    assert.equal(warning?.target.name, 'p');
    assert.equal(h.milvus.count('release'), 0);
  });
});
