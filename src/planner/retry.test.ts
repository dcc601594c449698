import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELEASE_FINALIZER, RETRY_ANNOTATION } from '../api/constants.ts';
import type { CollectionLoadPolicy, PolicyStatus } from '../api/policy.ts';
import { plan } from './plan.ts';
import { backoffMs, recordFailure, RETRYABLE_BACKOFF, retryStateOf, TERMINAL_BACKOFF, type Failure } from './retry.ts';
import { nextAttemptOf, renderPolicyStatus, withActionOutcomes } from './status.ts';
import { coll, db, describeActions, input, policy, T0 } from './testkit.ts';
import type { ObservedDatabase, Plan } from './types.ts';

const NO_INDEX: Failure = { action: 'Load', reason: 'IndexNotFound', message: 'load failed: index not found', class: 'Terminal' };
const NO_MEMORY: Failure = { action: 'Load', reason: 'InsufficientMemory', message: 'load failed: memory', class: 'Retryable' };

describe('backoff', () => {
  it('terminal: 1 min doubling to a 30 min cap, within ±20 %', () => {
    const want = [60, 120, 240, 480, 960, 1800, 1800, 1800].map((s) => s * 1000);
    want.forEach((w, i) => {
      const got = backoffMs('Terminal', i + 1, 'team/a/c1');
      assert.ok(got >= Math.min(w * 0.8, TERMINAL_BACKOFF.maxMs * 0.8) && got <= Math.min(w * 1.2, TERMINAL_BACKOFF.maxMs), `retry ${i + 1}: ${got} vs ${w}`);
    });
  });

  it('retryable: 2 s doubling to a 5 min cap, within ±20 %', () => {
    const want = [2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((s) => s * 1000);
    want.forEach((w, i) => {
      const got = backoffMs('Retryable', i + 1, 'team/a/c1');
      assert.ok(got >= w * 0.8 && got <= Math.min(w * 1.2, RETRYABLE_BACKOFF.maxMs), `retry ${i + 1}: ${got} vs ${w}`);
    });
  });

  it('spreads collections that failed together, and is the same for the same input', () => {
    const delays = new Set(Array.from({ length: 20 }, (_, i) => backoffMs('Retryable', 3, `team/a/c${i}`)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
    assert.equal(backoffMs('Retryable', 3, 'team/a/c1'), backoffMs('Retryable', 3, 'team/a/c1'));
  });

  it('moves from one capped attempt to the next, so one collection does not retry on a fixed beat', () => {
    const capped = Array.from({ length: 10 }, (_, i) => backoffMs('Retryable', 20 + i, 'team/a/c1'));
    const spread = Math.max(...capped) - Math.min(...capped);
    assert.ok(spread > 0.1 * RETRYABLE_BACKOFF.maxMs, `capped delays ${capped.join(', ')} ms`);
  });

  it('counts failures on', () => {
    const one = recordFailure(undefined, NO_MEMORY, T0, 's');
    const two = recordFailure(one, NO_MEMORY, T0 + 5_000, 's');
    assert.equal(one.retries, 1);
    assert.equal(two.retries, 2);
    assert.ok(two.nextAttemptAt > T0 + 5_000);
  });
});

/** One reconcile pass as the controller runs it: plan, fail the given loads, render. */
function pass(p: CollectionLoadPolicy, observed: ObservedDatabase, now: number, fail?: Failure): { plan: Plan; status: PolicyStatus; next?: number } {
  const out = plan(input([p], { default: observed }, { now }));
  const draft = out.policies[0];
  assert.ok(draft);
  const failed = fail ? new Map(out.actions.flatMap((a) => (a.kind === 'load' ? [[a.collection, fail] as const] : []))) : new Map<string, Failure>();
  const settled = withActionOutcomes(draft, { failures: failed, refreshFailed: false }, now);
  const next = nextAttemptOf(settled);
  return { plan: out, status: renderPolicyStatus(settled, now), ...(next !== undefined ? { next } : {}) };
}

const withStatus = (p: CollectionLoadPolicy, status: PolicyStatus): CollectionLoadPolicy => ({ ...p, status });
const cond = (s: PolicyStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('error policy in the plan', () => {
  it('a missing index is tried at most 6 times in 10 minutes, and the status says why and when', () => {
    let pol = policy({ name: 'a' });
    const attempts: number[] = [];
    for (let now = T0; now < T0 + 10 * 60_000; now += 2_000) {
      const r = pass(pol, db(coll('c1')), now, NO_INDEX);
      if (r.plan.actions.some((a) => a.kind === 'load')) attempts.push(now);
      pol = withStatus(pol, r.status);
    }
    assert.ok(attempts.length >= 3 && attempts.length <= 6, `attempts at ${attempts.map((t) => (t - T0) / 1000).join(', ')} s`);
    const c = pol.status?.collections?.[0];
    assert.equal(c?.state, 'Failed');
    assert.equal(c?.reason, 'IndexNotFound');
    assert.equal(c?.lastError?.class, 'Terminal');
    assert.equal(c?.retries, attempts.length);
    assert.ok(c?.nextAttemptTime);
    assert.match(c?.message ?? '', /milvusload\.io\/retry/);
    const s = pol.status as PolicyStatus;
    assert.equal(cond(s, 'Progressing')?.status, 'False');
    assert.equal(cond(s, 'Stalled')?.status, 'True');
    assert.equal(cond(s, 'Stalled')?.reason, 'IndexNotFound');
    assert.equal(cond(s, 'Degraded')?.status, 'True');
    assert.match(cond(s, 'Degraded')?.message ?? '', /1 collection\(s\) failed: c1 \(IndexNotFound\)/);
  });

  it('a new retry annotation value, or a spec change, tries a terminal failure at once; each value once', () => {
    const first = pass(policy({ name: 'a' }), db(coll('c1')), T0, NO_INDEX);
    const failed = withStatus(policy({ name: 'a' }), first.status);
    assert.deepEqual(describeActions(pass(failed, db(coll('c1')), T0 + 2_000).plan.actions), []);

    const retried = withStatus(policy({ name: 'a', annotations: { [RETRY_ANNOTATION]: 'now' } }), first.status);
    const r = pass(retried, db(coll('c1')), T0 + 2_000, NO_INDEX);
    assert.deepEqual(describeActions(r.plan.actions), ['load default/c1']);
    assert.equal(r.status.retriedValue, 'now');
    assert.equal(r.status.collections?.[0]?.retries, 1, 'a retry request starts the count afresh');
    const again = withStatus(policy({ name: 'a', annotations: { [RETRY_ANNOTATION]: 'now' } }), r.status);
    assert.deepEqual(describeActions(pass(again, db(coll('c1')), T0 + 4_000).plan.actions), [], 'the same value does not retry twice');

    const edited = withStatus(policy({ name: 'a', generation: 2 }), first.status);
    assert.deepEqual(describeActions(pass(edited, db(coll('c1')), T0 + 2_000).plan.actions), ['load default/c1']);
  });

  it('a fixed index is noticed by the slow recheck without a touch', () => {
    const first = pass(policy({ name: 'a' }), db(coll('c1')), T0, NO_INDEX);
    const pol = withStatus(policy({ name: 'a' }), first.status);
    assert.ok(first.next !== undefined && first.next <= T0 + 72_000);
    const later = pass(pol, db(coll('c1')), first.next);
    assert.deepEqual(describeActions(later.plan.actions), ['load default/c1']);
    const loaded = pass(withStatus(pol, later.status), db(coll('c1', 'Loaded')), first.next + 2_000);
    const c = loaded.status.collections?.[0];
    assert.equal(c?.state, 'Loaded');
    assert.equal(c?.lastError, undefined, 'cleared once as wanted');
    assert.equal(c?.retries, undefined);
  });

  it('retryable failures back off per collection; a neighbour is unaffected', () => {
    let pol = policy({ name: 'a', spec: { selector: { names: ['c1', 'c2'] } } });
    const attempts: number[] = [];
    for (let now = T0; now < T0 + 60_000; now += 500) {
      const out = plan(input([pol], { default: db(coll('c1'), coll('c2', pol.status ? 'Loaded' : 'NotLoad')) }, { now }));
      const draft = out.policies[0];
      assert.ok(draft);
      const loads = out.actions.filter((a) => a.kind === 'load').map((a) => (a.kind === 'load' ? a.collection : ''));
      if (loads.includes('c1')) attempts.push(now - T0);
      if (now === T0) assert.deepEqual(loads.sort(), ['c1', 'c2'], 'both are tried on the first pass');
      const settled = withActionOutcomes(draft, { failures: new Map(loads.includes('c1') ? [['c1', NO_MEMORY]] : []), refreshFailed: false }, now);
      pol = withStatus(pol, renderPolicyStatus(settled, now));
    }
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    gaps.forEach((g, i) => {
      const want = 2_000 * 2 ** i;
      assert.ok(g >= want * 0.8 && g <= want * 1.2 + 500, `gap ${i + 1}: ${g} ms, want ~${want}`);
    });
    assert.ok(attempts.length >= 4 && attempts.length <= 6, `attempts at ${attempts.join(', ')} ms`);
    const s = pol.status as PolicyStatus;
    assert.equal(s.collections?.find((c) => c.name === 'c2')?.state, 'Loaded');
    assert.equal(cond(s, 'Reconciling')?.status, 'True');
    assert.equal(cond(s, 'Stalled')?.status, 'False');
  });

  it('the state survives a restart: it is read back from the status', () => {
    const first = pass(policy({ name: 'a' }), db(coll('c1')), T0, NO_MEMORY);
    const entry = first.status.collections?.[0];
    const back = retryStateOf(entry);
    assert.equal(back?.retries, 1);
    assert.equal(back?.reason, 'InsufficientMemory');
    assert.equal(back?.class, 'Retryable');
    assert.ok(back && first.next !== undefined && Math.abs(back.nextAttemptAt - first.next) < 1000);
  });

  it('a load Milvus gave up (observed) counts as a failed attempt', () => {
    const loading = pass(policy({ name: 'a' }), db(coll('c1')), T0).status;
    const gaveUp = db(coll('c1', 'NotLoad', { loadError: { reason: 'InsufficientMemory', message: 'OOM if load', class: 'Retryable' } }));
    const r = pass(withStatus(policy({ name: 'a' }), loading), gaveUp, T0 + 10_000);
    assert.deepEqual(r.plan.actions.filter((a) => a.kind === 'load'), []);
    assert.equal(r.status.collections?.[0]?.retries, 1);
    assert.ok(r.next !== undefined && r.next > T0 + 10_000);
  });

  it('Progressing is False when a load was planned but failed', () => {
    const r = pass(policy({ name: 'a' }), db(coll('c1')), T0, NO_INDEX);
    assert.equal(cond(r.status, 'Progressing')?.status, 'False');
    assert.equal(r.plan.loading, false, 'a planned load is not in flight');
  });

  it('keeps the finalizer while a release is held back by its backoff', () => {
    const failedRelease: Failure = { action: 'Release', reason: 'MilvusTimeout', message: 'release failed', class: 'Retryable' };
    const deleting = policy({ name: 'a', spec: { deletionPolicy: 'Release' }, finalizers: [RELEASE_FINALIZER], deleting: T0 - 1000 });
    const out = plan(input([deleting], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(out.actions), ['release default/c1'], 'no finalizer removal while releasing');
    const draft = out.policies[0];
    assert.ok(draft);
    const status = renderPolicyStatus(withActionOutcomes(draft, { failures: new Map([['c1', failedRelease]]), refreshFailed: false }, T0), T0);
    const held = plan(input([{ ...deleting, status }], { default: db(coll('c1', 'Loaded')) }, { now: T0 + 500 }));
    assert.deepEqual(describeActions(held.actions), [], 'the release waits, and the finalizer stays');
    assert.equal(held.policies[0]?.entries?.[0]?.reason, 'ReleaseMilvusTimeout');
  });
});

describe('status size', () => {
  it('a long Milvus message is clipped to what the schema allows, so the status is not refused', () => {
    const long: Failure = { ...NO_INDEX, message: `load failed: ${'x'.repeat(5000)}` };
    const r = pass(policy({ name: 'a' }), db(coll('c1')), T0, long);
    const c = r.status.collections?.[0];
    assert.ok((c?.message?.length ?? 0) <= 1024, `message of ${c?.message?.length}`);
    assert.ok((c?.lastError?.message?.length ?? 0) <= 1024);
  });
});
