import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELEASE_FINALIZER } from '../api/constants.ts';
import type { PolicyStatus } from '../api/policy.ts';
import { plan } from './plan.ts';
import { renderBudgetStatus, renderPolicyStatus } from './status.ts';
import { budget, coll, db, describeActions, input, observationKey, policy, T0 } from './testkit.ts';
import type { PlanInput, Plan } from './types.ts';

const GiB = 2 ** 30;

function statusOf(p: Plan, ref: string, now = T0): PolicyStatus {
  const d = p.policies.find((x) => x.ref === ref);
  assert.ok(d, `no draft for ${ref}`);
  return renderPolicyStatus(d, now);
}

function cond(s: PolicyStatus, type: string) {
  return s.conditions?.find((c) => c.type === type);
}

describe('plan: loading and releasing', () => {
  it('loads a selected collection and never touches an unselected one', () => {
    const p = plan(input([policy({ name: 'a', spec: { selector: { names: ['c1'] } } })], { default: db(coll('c1'), coll('other')) }));
    assert.deepEqual(describeActions(p.actions), ['load default/c1']);
    const s = statusOf(p, 'team/a');
    assert.equal(s.collections?.[0]?.state, 'Loading');
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'Progressing')?.status, 'True');
  });

  it('does nothing when Milvus already matches, and reports Ready', () => {
    const p = plan(input([policy({ name: 'a' })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(p.actions, []);
    const s = statusOf(p, 'team/a');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(cond(s, 'Ready')?.message, '1 of 1 collections loaded');
    assert.equal(s.loadedSummary, '1/1');
    assert.equal(cond(s, 'Degraded')?.status, 'False');
  });

  it('releases a loaded collection for state Released', () => {
    const p = plan(input([policy({ name: 'a', spec: { state: 'Released' } })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(p.actions), ['release default/c1']);
    assert.equal(statusOf(p, 'team/a').effectiveState, 'Released');
  });

  it('selects by glob, and globs pick up new collections', () => {
    const p = plan(input([policy({ name: 'a', spec: { selector: { patterns: ['logs_*'] } } })], { default: db(coll('logs_1'), coll('logs_2', 'Loaded'), coll('metrics')) }));
    assert.deepEqual(describeActions(p.actions), ['load default/logs_1']);
  });

  it('loads again after a release behind its back, saying it was drift', () => {
    const prev: PolicyStatus = { collections: [{ name: 'c1', state: 'Loaded', lastTransitionTime: '2026-11-23T09:00:00Z' }] };
    const p = plan(input([policy({ name: 'a', status: prev })], { default: db(coll('c1')) }));
    const load = p.actions[0];
    assert.ok(load && load.kind === 'load');
    assert.equal(load.reason, 'Drift');
    assert.equal(statusOf(p, 'team/a').collections?.[0]?.reason, 'DriftCorrected');
  });

  it('passes load options', () => {
    const p = plan(input([policy({ name: 'a', spec: { load: { replicas: 2, resourceGroups: ['rg_b', 'rg_a'], skipDynamicField: true } } })], { default: db(coll('c1')) }));
    const a = p.actions[0];
    assert.ok(a && a.kind === 'load');
    assert.deepEqual(a.options, { replicas: 2, resourceGroups: ['rg_a', 'rg_b'], fields: [], skipDynamicField: true });
  });

  it('follows a load in progress without acting, and wakes at its timeout', () => {
    const prev: PolicyStatus = { collections: [{ name: 'c1', state: 'Loading', lastTransitionTime: new Date(T0 - 60_000).toISOString() }] };
    const p = plan(input([policy({ name: 'a', status: prev, spec: { load: { timeoutSeconds: 600 } } })], { default: db(coll('c1', 'Loading', { progress: 40 })) }));
    assert.deepEqual(p.actions, []);
    assert.equal(p.loading, true);
    assert.equal(p.wakeAt, T0 - 60_000 + 600_000);
    const s = statusOf(p, 'team/a');
    assert.equal(s.collections?.[0]?.progress, 40);
    assert.equal(cond(s, 'Ready')?.reason, 'Loading');
  });

  it('turns a stuck load into Failed/LoadTimedOut', () => {
    const prev: PolicyStatus = { collections: [{ name: 'c1', state: 'Loading', lastTransitionTime: new Date(T0 - 20 * 60_000).toISOString() }] };
    const p = plan(input([policy({ name: 'a', status: prev, spec: { load: { timeoutSeconds: 600 } } })], { default: db(coll('c1', 'Loading', { progress: 40 })) }));
    const s = statusOf(p, 'team/a');
    assert.equal(s.collections?.[0]?.state, 'Failed');
    assert.equal(cond(s, 'Ready')?.reason, 'LoadTimedOut');
    assert.equal(cond(s, 'Degraded')?.status, 'True');
    assert.deepEqual(p.actions, [], 'Milvus keeps loading; the operator does not interfere');
  });

  it('reloads with new replicas when a loaded collection differs', () => {
    const p = plan(input([policy({ name: 'a', spec: { load: { replicas: 2 } } })], { default: db(coll('c1', 'Loaded', { replicas: 1 })) }));
    const a = p.actions[0];
    assert.ok(a && a.kind === 'load');
    assert.equal(a.reason, 'Reconfigure');
  });

  it('refreshes once per annotation value', () => {
    const ann = { 'milvusload.io/refresh': 'r1' };
    const first = plan(input([policy({ name: 'a', annotations: ann })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(first.actions), ['load default/c1 refresh']);
    const s = statusOf(first, 'team/a');
    assert.equal(s.refreshedValue, 'r1');
    const again = plan(input([policy({ name: 'a', annotations: ann, status: s })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(again.actions, []);
  });

  it('reports a named collection that does not exist, without holding up another policy', () => {
    const p = plan(input([policy({ name: 'missing', spec: { selector: { names: ['nope'] } } }), policy({ name: 'fine' })], { default: db(coll('c1', 'Loaded')) }));
    const s = statusOf(p, 'team/missing');
    assert.equal(s.collections?.[0]?.state, 'NotFound');
    assert.equal(cond(s, 'Ready')?.reason, 'CollectionNotFound');
    assert.equal(cond(statusOf(p, 'team/fine'), 'Ready')?.status, 'True');
  });

  it('says so when a pattern selects nothing yet', () => {
    const p = plan(input([policy({ name: 'a', spec: { selector: { patterns: ['x_*'] } } })], { default: db(coll('c1')) }));
    assert.equal(cond(statusOf(p, 'team/a'), 'Ready')?.reason, 'NothingSelected');
  });
});

describe('plan: conflicts', () => {
  it('the higher priority wins; the loser shows Conflict naming the winner', () => {
    const hi = policy({ name: 'hi', spec: { priority: 10, state: 'Released' } });
    const lo = policy({ name: 'lo', spec: { priority: 1 } });
    const p = plan(input([lo, hi], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(p.actions), ['release default/c1']);
    const s = statusOf(p, 'team/lo');
    assert.equal(s.collections?.[0]?.state, 'Conflict');
    assert.match(s.collections?.[0]?.message ?? '', /team\/hi/);
    assert.equal(cond(s, 'Ready')?.reason, 'Conflict');
    assert.equal(cond(statusOf(p, 'team/hi'), 'Ready')?.status, 'True');
  });

  it('at equal priority the older policy wins, then namespace/name', () => {
    const old = policy({ name: 'zz-old', spec: { state: 'Released' }, created: T0 - 10 * 3_600_000 });
    const young = policy({ name: 'aa-young', created: T0 - 3_600_000 });
    const p = plan(input([young, old], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(p.actions), ['release default/c1']);
  });

  it('two policies that agree are not a conflict', () => {
    const p = plan(input([policy({ name: 'a', spec: { priority: 5 } }), policy({ name: 'b' })], { default: db(coll('c1', 'Loaded')) }));
    assert.equal(statusOf(p, 'team/b').collections?.[0]?.state, 'Loaded');
    assert.equal(cond(statusOf(p, 'team/b'), 'Ready')?.status, 'True');
  });

  it('different load options are a conflict, and the winner options apply', () => {
    const p = plan(input([policy({ name: 'a', spec: { priority: 5, load: { replicas: 2 } } }), policy({ name: 'b' })], { default: db(coll('c1')) }));
    const a = p.actions[0];
    assert.ok(a && a.kind === 'load');
    assert.equal(a.options.replicas, 2);
    assert.equal(statusOf(p, 'team/b').collections?.[0]?.state, 'Conflict');
  });
});

describe('plan: suspend, invalid input, unreachable Milvus', () => {
  it('suspend observes and reports, changes nothing', () => {
    const p = plan(input([policy({ name: 'a', spec: { suspend: true } })], { default: db(coll('c1')) }));
    assert.deepEqual(p.actions, []);
    const s = statusOf(p, 'team/a');
    assert.equal(cond(s, 'Suspended')?.status, 'True');
    assert.equal(cond(s, 'Ready')?.reason, 'Suspended');
    assert.equal(s.collections?.[0]?.state, 'Released');
  });

  it('the managed=false annotation does the same', () => {
    const p = plan(input([policy({ name: 'a', annotations: { 'milvusload.io/managed': 'false' } })], { default: db(coll('c1')) }));
    assert.deepEqual(p.actions, []);
    assert.equal(cond(statusOf(p, 'team/a'), 'Suspended')?.reason, 'Unmanaged');
  });

  it('a policy with run-time problems claims nothing and says what is wrong; others go on', () => {
    const bad = { policy: policy({ name: 'bad' }), problems: ['spec.schedule.timeZone: unknown'], observationKey: observationKey() };
    const p = plan(input([bad, policy({ name: 'good', spec: { selector: { names: ['c2'] } } })], { default: db(coll('c1'), coll('c2')) }));
    assert.deepEqual(describeActions(p.actions), ['load default/c2']);
    const s = statusOf(p, 'team/bad');
    assert.equal(cond(s, 'Ready')?.reason, 'InvalidSpec');
    assert.equal(cond(s, 'Degraded')?.status, 'True');
  });

  it('an unreachable database gives Degraded, keeps the last known collections, and plans nothing for it', () => {
    const prev: PolicyStatus = { summary: { matched: 1, loaded: 1, loading: 0, released: 0, notFound: 0, failed: 0, deferred: 0, conflict: 0 }, loadedSummary: '1/1', collections: [{ name: 'c1', state: 'Loaded', lastTransitionTime: '2026-11-23T09:00:00Z' }] };
    const p = plan(input([policy({ name: 'a', status: prev })], { default: { ok: false, reason: 'MilvusUnavailable', message: 'cannot reach milvus:19530' } }));
    assert.deepEqual(p.actions, []);
    const s = statusOf(p, 'team/a');
    assert.equal(cond(s, 'Degraded')?.reason, 'MilvusUnavailable');
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(s.loadedSummary, '1/1');
  });
});

describe('plan: deletion and finalizers', () => {
  it('adds the finalizer for deletionPolicy Release and removes it for Retain', () => {
    const p = plan(input([policy({ name: 'rel', spec: { deletionPolicy: 'Release' } }), policy({ name: 'ret', finalizers: [RELEASE_FINALIZER] })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(p.actions), ['addFinalizer team/rel', 'removeFinalizer team/ret']);
  });

  it('releases on delete, and drops the finalizer only once released', () => {
    const deleting = policy({ name: 'a', spec: { deletionPolicy: 'Release' }, deleting: T0 - 1000, finalizers: [RELEASE_FINALIZER] });
    const first = plan(input([deleting], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(first.actions), ['release default/c1']);
    const second = plan(input([deleting], { default: db(coll('c1')) }));
    assert.deepEqual(describeActions(second.actions), ['removeFinalizer team/a']);
  });

  it('does not release what another live policy still wants loaded', () => {
    const deleting = policy({ name: 'a', spec: { deletionPolicy: 'Release', priority: 100 }, deleting: T0 - 1000, finalizers: [RELEASE_FINALIZER] });
    const p = plan(input([deleting, policy({ name: 'b' })], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(describeActions(p.actions), ['removeFinalizer team/a']);
  });

  it('a collection that is gone counts as released', () => {
    const deleting = policy({ name: 'a', spec: { deletionPolicy: 'Release' }, deleting: T0 - 1000, finalizers: [RELEASE_FINALIZER] });
    const p = plan(input([deleting], { default: db() }));
    assert.deepEqual(describeActions(p.actions), ['removeFinalizer team/a']);
  });

  it('gives up on an unreachable Milvus only after the grace period', () => {
    const down = { default: { ok: false as const, reason: 'MilvusUnavailable', message: 'down' } };
    const recent = policy({ name: 'a', spec: { deletionPolicy: 'Release' }, deleting: T0 - 60_000, finalizers: [RELEASE_FINALIZER] });
    assert.deepEqual(plan(input([recent], down)).actions, []);
    const old = policy({ name: 'a', spec: { deletionPolicy: 'Release' }, deleting: T0 - 11 * 60_000, finalizers: [RELEASE_FINALIZER] });
    assert.deepEqual(describeActions(plan(input([old], down)).actions), ['removeFinalizer team/a']);
  });
});

describe('plan: budgets', () => {
  const three = (): PlanInput =>
    input(
      [
        policy({ name: 'p1', spec: { priority: 30, selector: { names: ['c1'] }, load: { memoryEstimate: '4Gi' } } }),
        policy({ name: 'p2', spec: { priority: 20, selector: { names: ['c2'] }, load: { memoryEstimate: '4Gi' } } }),
        policy({ name: 'p3', spec: { priority: 10, selector: { names: ['c3'] }, load: { memoryEstimate: '4Gi' } } }),
      ],
      { default: db(coll('c1'), coll('c2'), coll('c3')) },
    );

  it('admits by priority while the estimates fit; the rest is Deferred with the numbers', () => {
    const b = budget('b', '9Gi');
    const p = plan({ ...three(), budgets: [b] });
    assert.deepEqual(describeActions(p.actions), ['load default/c1', 'load default/c2']);
    const s = statusOf(p, 'team/p3');
    assert.equal(s.collections?.[0]?.state, 'Deferred');
    assert.equal(cond(s, 'Ready')?.reason, 'OverBudget');
    assert.match(s.collections?.[0]?.message ?? '', /4Gi.*1Gi of 9Gi left/);
    const bs = renderBudgetStatus(b, p.budgets[0] ?? { name: 'b' }, T0);
    assert.equal(bs?.used, '8Gi');
    assert.equal(bs?.loadedCollections, 2);
    assert.equal(bs?.deferred?.[0]?.policy, 'team/p3');
  });

  it('with LowerPriority, a higher newcomer releases a lower incumbent, only as much as needed', () => {
    const base = three();
    const observed = new Map([[observationKey(), db(coll('c1'), coll('c2', 'Loaded'), coll('c3', 'Loaded'))]]);
    const p = plan({ ...base, observed, budgets: [budget('b', '8Gi', 'LowerPriority')] });
    assert.deepEqual(describeActions(p.actions), ['load default/c1', 'release default/c3']);
  });

  it('with Never, incumbents keep their place and the newcomer waits', () => {
    const base = three();
    const observed = new Map([[observationKey(), db(coll('c1'), coll('c2', 'Loaded'), coll('c3', 'Loaded'))]]);
    const p = plan({ ...base, observed, budgets: [budget('b', '8Gi', 'Never')] });
    assert.deepEqual(p.actions, []);
    assert.equal(statusOf(p, 'team/p1').collections?.[0]?.state, 'Deferred');
  });

  it('an incumbent a little over the limit stays (hysteresis)', () => {
    const p = plan(
      input([policy({ name: 'a', spec: { load: { memoryEstimate: '1030Mi' } } })], { default: db(coll('c1', 'Loaded')) }, { budgets: [budget('b', '1Gi')] }),
    );
    assert.deepEqual(p.actions, []);
  });

  it('uses measured memory over the schema estimate, and the spec over both', () => {
    const observed = db(coll('c1', 'Loaded', { measuredBytes: 3 * GiB, schemaBytes: 1 * GiB }), coll('c2', 'NotLoad', { schemaBytes: 1 * GiB }));
    const p = plan(input([policy({ name: 'a', spec: { selector: { names: ['c1', 'c2'] }, load: { replicas: 2 } } })], { default: observed }, { budgets: [budget('b', '100Gi')] }));
    const s = statusOf(p, 'team/a');
    const c1 = s.collections?.find((c) => c.name === 'c1');
    const c2 = s.collections?.find((c) => c.name === 'c2');
    assert.equal(c1?.memorySource, 'Measured');
    assert.equal(c1?.memoryBytes, 3 * GiB);
    assert.equal(c2?.memorySource, 'Schema');
    assert.equal(c2?.memoryBytes, 2 * GiB, 'schema estimate times replicas');
  });

  it('defers a collection with no estimate, saying how to give one', () => {
    const p = plan(input([policy({ name: 'a' })], { default: db(coll('c1')) }, { budgets: [budget('b', '1Gi')] }));
    assert.deepEqual(p.actions, []);
    assert.equal(statusOf(p, 'team/a').collections?.[0]?.reason, 'NoEstimate');
  });

  it('with two budgets for one instance, the older applies and the other says so', () => {
    const p = plan({ ...three(), budgets: [budget('young', '100Gi', 'Never', T0), budget('old', '9Gi', 'Never', T0 - 9e6)] });
    assert.equal(p.actions.length, 2);
    const young = p.budgets.find((b) => b.name === 'young');
    assert.equal(young?.status?.ready.reason, 'DuplicateBudget');
  });
});

describe('plan: partitions', () => {
  const parts = (entries: [string, 'NotLoad' | 'Loading' | 'Loaded'][]) => new Map(entries.map(([n, s]) => [n, { loadState: s, progress: s === 'Loaded' ? 100 : 0 }]));

  it('loads only the wanted partitions that are not loaded', () => {
    const o = coll('c1', 'Loaded', { partitions: parts([['p1', 'Loaded'], ['p2', 'NotLoad'], ['p3', 'NotLoad']]) });
    const p = plan(input([policy({ name: 'a', spec: { partitions: ['p1', 'p2'] } })], { default: db(o) }));
    assert.deepEqual(describeActions(p.actions), ['load default/c1[p2]']);
  });

  it('releases wanted partitions for Released, and reports missing ones', () => {
    const o = coll('c1', 'Loaded', { partitions: parts([['p1', 'Loaded']]) });
    const p = plan(input([policy({ name: 'a', spec: { state: 'Released', partitions: ['p1', 'p9'] } })], { default: db(o) }));
    assert.deepEqual(describeActions(p.actions), ['release default/c1[p1]']);
  });
});

describe('plan: loads Milvus gave up', () => {
  it('reports the replayed reason as Failed and does not reload at once', () => {
    const prev: PolicyStatus = { collections: [{ name: 'c1', state: 'Loading', lastTransitionTime: '2026-11-23T09:00:00Z' }] };
    const o = coll('c1', 'NotLoad', { loadError: { reason: 'InsufficientMemory', message: 'memory limit exceeded' } });
    const p = plan(input([policy({ name: 'a', status: prev })], { default: db(o) }));
    assert.deepEqual(p.actions, []);
    const s = statusOf(p, 'team/a');
    assert.equal(s.collections?.[0]?.state, 'Failed');
    assert.equal(cond(s, 'Ready')?.reason, 'InsufficientMemory');
    assert.equal(cond(s, 'Degraded')?.status, 'True');
  });
});

describe('plan: a timed-out load', () => {
  it('stays Failed while Milvus keeps loading, instead of flipping back to Loading', () => {
    const prev: PolicyStatus = { collections: [{ name: 'c1', state: 'Failed', reason: 'LoadTimedOut', lastTransitionTime: new Date(T0 - 1000).toISOString() }] };
    const p = plan(input([policy({ name: 'a', status: prev, spec: { load: { timeoutSeconds: 600 } } })], { default: db(coll('c1', 'Loading', { progress: 41 })) }));
    const s = statusOf(p, 'team/a');
    assert.equal(s.collections?.[0]?.state, 'Failed');
    assert.equal(s.collections?.[0]?.lastTransitionTime, prev.collections?.[0]?.lastTransitionTime);
  });
});
