// The reconciler's error policy, driven the way the work queue drives it:
// a pass, then the fake clock moves by the pass's own requeueAfterMs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RETRY_ANNOTATION } from '../api/constants.ts';
import { RETRYABLE_BACKOFF, TERMINAL_BACKOFF } from '../planner/retry.ts';
import { policy, T0 } from '../planner/testkit.ts';
import { Harness, realFailure } from './testkit.ts';

const MIN = 60_000;

function missingIndex(): Harness {
  const h = new Harness({ start: T0 });
  h.milvus.add('c1', { indexed: false });
  h.kube.apply(policy({ name: 'p' }));
  return h;
}

describe('reconcile: a terminal failure (no index) is parked', () => {
  it('sends at most 6 loads in 10 minutes, lists collections only at the resync rate, and says it is stalled', async () => {
    const h = missingIndex();
    const passes = await h.drive(10 * MIN);
    const loads = h.milvus.count('load');
    assert.ok(loads >= 2 && loads <= 6, `${loads} loads in 10 min`);
    // One pass per resync (30 s), plus one wake-up per parked attempt; each pass lists twice (standalone: All, then InMemory).
    assert.ok(passes <= 20 + loads + 1, `${passes} passes`);
    assert.equal(h.milvus.count('listCollections'), passes);
    assert.ok(h.milvus.showCollections() <= 2 * passes);
    const gaps = h.milvus.loads.slice(1).map((l, i) => l.at - (h.milvus.loads[i]?.at ?? 0));
    assert.ok(gaps.every((g) => g >= 0.8 * TERMINAL_BACKOFF.firstMs), `gaps ${gaps.join(', ')}`);
    assert.equal(h.condition('p', 'Progressing').status, 'False');
    assert.equal(h.condition('p', 'Stalled').status, 'True');
    assert.equal(h.condition('p', 'Stalled').reason, 'IndexNotFound');
    assert.equal(h.condition('p', 'Ready').reason, 'IndexNotFound');
    const e = h.entry('p', 'c1');
    assert.equal(e.state, 'Failed');
    assert.equal(e.lastError?.class, 'Terminal');
    assert.equal(e.retries, loads);
    assert.match(e.message ?? '', /create an index/);
    assert.ok(Date.parse(e.nextAttemptTime ?? '') > h.clock.now());
  });

  it('tries at once on a new milvusload.io/retry value, and only once per value', async () => {
    const h = missingIndex();
    await h.pass();
    h.clock.advance(5_000);
    h.milvus.collection('c1').indexed = true;
    h.kube.edit('team', 'p', (p) => (p.metadata.annotations = { [RETRY_ANNOTATION]: 'now' }));
    await h.pass();
    assert.equal(h.milvus.count('load'), 2, 'loaded in the pass that saw the annotation');
    assert.equal(h.status('p').retriedValue, 'now');
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
    assert.equal(h.entry('p', 'c1').lastError, undefined);
    assert.equal(h.condition('p', 'Ready').status, 'True');
    assert.equal(h.condition('p', 'Stalled').status, 'False');
  });

  it('a retry value acted on does not retry again; the next failure is parked again', async () => {
    const h = missingIndex();
    await h.pass();
    h.kube.edit('team', 'p', (p) => (p.metadata.annotations = { [RETRY_ANNOTATION]: '1' }));
    h.clock.advance(1_000);
    await h.pass();
    h.clock.advance(1_000);
    await h.pass();
    assert.equal(h.milvus.count('load'), 2);
    assert.equal(h.status('p').retriedValue, '1');
  });

  it('tries at once when the spec (generation) changes', async () => {
    const h = missingIndex();
    await h.pass();
    h.clock.advance(5_000);
    h.kube.apply(policy({ name: 'p', spec: { load: { timeoutSeconds: 600 } } }));
    assert.equal(h.kube.get('team', 'p')?.metadata.generation, 2);
    await h.pass();
    assert.equal(h.milvus.count('load'), 2);
    assert.equal(h.status('p').observedGeneration, 2);
    h.clock.advance(5_000);
    await h.pass();
    assert.equal(h.milvus.count('load'), 2, 'the new generation is observed now: parked again');
  });

  it('notices a fixed index within one slow-recheck period, without a touch', async () => {
    const h = missingIndex();
    await h.drive(20 * MIN);
    const before = h.milvus.count('load');
    h.milvus.collection('c1').indexed = true;
    const fixedAt = h.clock.now();
    const next = Date.parse(h.entry('p', 'c1').nextAttemptTime ?? '');
    assert.ok(next - fixedAt <= TERMINAL_BACKOFF.maxMs);
    await h.drive(next - fixedAt + 35_000);
    assert.equal(h.milvus.count('load'), before + 1);
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
    assert.ok(Date.parse(h.entry('p', 'c1').lastTransitionTime ?? '') - fixedAt <= TERMINAL_BACKOFF.maxMs + 35_000);
  });
});

describe('reconcile: a retryable failure (out of memory) backs off per collection', () => {
  it('spaces attempts 2 s, 4 s, 8 s ... up to 5 min (±20 %), and loads the policy\'s other collection at once', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.milvus.add('c2');
    h.milvus.failWhen('load', ([req]) => ((req as { collection: string }).collection === 'c1' ? realFailure('InsufficientMemory', 'LoadCollection') : undefined));
    h.kube.apply(policy({ name: 'p', spec: { selector: { names: ['c1', 'c2'] } } }));
    await h.drive(30 * MIN);
    const c1 = h.milvus.loads.filter((l) => l.collection === 'c1').map((l) => l.at);
    const c2 = h.milvus.loads.filter((l) => l.collection === 'c2').map((l) => l.at);
    assert.deepEqual(c2, [T0], 'c2 loaded on the first pass, once');
    assert.equal(c1[0], T0);
    const gaps = c1.slice(1).map((t, i) => t - (c1[i] ?? 0));
    assert.ok(gaps.length >= 8, `attempts at +${c1.map((t) => (t - T0) / 1000).join(' s, +')} s`);
    gaps.forEach((g, i) => {
      const exp = Math.min(RETRYABLE_BACKOFF.maxMs, RETRYABLE_BACKOFF.firstMs * 2 ** i);
      assert.ok(g >= Math.min(0.8 * exp, RETRYABLE_BACKOFF.maxMs) && g <= Math.min(1.2 * exp, RETRYABLE_BACKOFF.maxMs) + 100, `gap ${i + 1}: ${g} ms, want ${exp} ms ±20 %`);
    });
    assert.ok(gaps.slice(-2).every((g) => g > 0.8 * RETRYABLE_BACKOFF.maxMs && g <= RETRYABLE_BACKOFF.maxMs + 100), 'capped at 5 min');
    assert.equal(h.entry('p', 'c2').state, 'Loaded');
    const e1 = h.entry('p', 'c1');
    assert.equal(e1.state, 'Failed');
    assert.equal(e1.lastError?.reason, 'InsufficientMemory');
    assert.equal(e1.lastError?.class, 'Retryable');
    assert.equal(e1.retries, c1.length);
    assert.equal(h.condition('p', 'Stalled').status, 'False');
    assert.equal(h.condition('p', 'Reconciling').reason, 'Retrying');
    assert.equal(h.condition('p', 'Progressing').status, 'False');
    assert.equal(h.condition('p', 'Degraded').status, 'True');
    assert.match(h.condition('p', 'Degraded').message, /c1 \(InsufficientMemory\)/);
  });

  it('another policy on the same instance is unaffected', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.milvus.add('other');
    h.milvus.failWhen('load', ([req]) => ((req as { collection: string }).collection === 'c1' ? realFailure('InsufficientMemory', 'LoadCollection') : undefined));
    h.kube.apply(policy({ name: 'p' }));
    h.kube.apply(policy({ name: 'q', spec: { selector: { names: ['other'] } } }));
    await h.drive(2 * MIN);
    assert.deepEqual(h.milvus.loads.filter((l) => l.collection === 'other').map((l) => l.at), [T0]);
    assert.equal(h.condition('q', 'Ready').status, 'True');
  });

  it('polls every 2 s only while a load is in flight', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.loadSteps = 3;
    h.milvus.add('c1');
    h.kube.apply(policy({ name: 'p' }));
    const first = await h.pass();
    assert.deepEqual(first, { ok: true, requeueAfterMs: 2_000 });
    assert.equal(h.condition('p', 'Progressing').status, 'True');
    h.clock.advance(2_000);
    assert.deepEqual(await h.pass(), { ok: true, requeueAfterMs: 2_000 });
    h.clock.advance(2_000);
    await h.pass();
    h.clock.advance(2_000);
    const done = await h.pass();
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
    assert.equal(h.condition('p', 'Progressing').status, 'False');
    assert.deepEqual(done, { ok: true, requeueAfterMs: 30_000 });
  });
});

describe('reconcile: a restarted operator does not hammer', () => {
  it('reads the next attempt from the status the old one wrote', async () => {
    const h = missingIndex();
    await h.pass();
    const next = Date.parse(h.entry('p', 'c1').nextAttemptTime ?? '');
    h.restart();
    await h.drive(next - h.clock.now() - 1);
    assert.equal(h.milvus.count('load'), 1, 'no load before nextAttemptTime');
    h.restart();
    h.clock.set(next + 100);
    await h.pass();
    assert.equal(h.milvus.count('load'), 2);
    assert.equal(h.entry('p', 'c1').retries, 2, 'counted on from the status');
  });

  it('keeps counting a retryable backoff across a restart', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.milvus.failWhen('load', () => realFailure('InsufficientMemory', 'LoadCollection'));
    h.kube.apply(policy({ name: 'p' }));
    await h.drive(20_000);
    const retries = h.entry('p', 'c1').retries ?? 0;
    assert.ok(retries >= 3);
    h.restart();
    const next = Date.parse(h.entry('p', 'c1').nextAttemptTime ?? '');
    h.clock.set(next - 500);
    await h.pass();
    assert.equal(h.entry('p', 'c1').retries, retries, 'held: not before nextAttemptTime');
    h.clock.set(next);
    await h.pass();
    assert.equal(h.entry('p', 'c1').retries, retries + 1);
  });
});
