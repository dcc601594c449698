// Idle release, load on use and load priority: table tests through plan().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyStatus } from '../api/policy.ts';
import { eventsFor } from './events.ts';
import { plan } from './plan.ts';
import { renderPolicyStatus, withActionOutcomes } from './status.ts';
import { budget, coll, db, input, milvusActions, policy, T0 } from './testkit.ts';
import type { CollectionUsage, LoadAction, PlanInput, UsageInput } from './types.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function usage(per: Record<string, CollectionUsage>): UsageInput {
  return {
    periodMs: MIN,
    collections: new Map(Object.entries(per).map(([k, v]) => [`default/${k}`, v])),
    otherwise: { state: 'Unknown', reason: 'UsageNotPerCollection', message: 'the metrics do not name this collection' },
  };
}

const used = (ago: number, trackedAgo = 10 * HOUR): CollectionUsage => ({ state: 'Known', lastUsedTime: T0 - ago, trackedSince: T0 - trackedAgo });
const unused = (trackedAgo = 10 * HOUR): CollectionUsage => ({ state: 'Known', trackedSince: T0 - trackedAgo });

const idlePolicy = (idle: Record<string, unknown>, spec: Record<string, unknown> = {}, status?: PolicyStatus) =>
  policy({ name: 'p', spec: { selector: { names: ['c1'] }, idle: { releaseAfter: '2h', ...idle }, ...spec }, ...(status ? { status } : {}) });

const entry = (state: 'Loaded' | 'Released', reason: string, since: number) => ({ name: 'c1', state, reason, message: '', lastTransitionTime: new Date(since).toISOString() });

function run(inp: PlanInput) {
  const out = plan(inp);
  const draft = out.policies[0];
  assert.ok(draft);
  return { out, actions: milvusActions(out.actions), entry: draft.entries?.[0], status: renderPolicyStatus(draft, inp.now), draft };
}

describe('idle release', () => {
  it('releases a loaded collection idle for releaseAfter, with reason Idle and an IdleReleased event', () => {
    const p = idlePolicy({ overrideLoaded: true }, {}, { collections: [entry('Loaded', 'Loaded', T0 - 5 * HOUR)] });
    const r = run(input([p], { default: db(coll('c1', 'Loaded')) }, { usage: usage({ c1: used(3 * HOUR) }) }));
    assert.deepEqual(r.actions.map((a) => `${a.kind} ${a.reason}`), ['release Idle']);
    assert.equal(r.entry?.reason, 'Idle');
    assert.match(r.entry?.message ?? '', /no requests for 3h/);
    assert.deepEqual(eventsFor(r.draft, p.status, r.status).map((e) => e.reason), ['IdleReleased']);
  });

  it('counts idleness from the load and from the start of tracking, not only from the last request', () => {
    const loadedRecently = idlePolicy({ overrideLoaded: true }, {}, { collections: [entry('Loaded', 'Loaded', T0 - 30 * MIN)] });
    const a = run(input([loadedRecently], { default: db(coll('c1', 'Loaded')) }, { usage: usage({ c1: used(3 * HOUR) }) }));
    assert.deepEqual(a.actions, []);
    assert.equal(a.out.wakeAt, T0 + 90 * MIN, 'the controller looks again when it would become idle');
    const restarted = idlePolicy({ overrideLoaded: true });
    const b = run(input([restarted], { default: db(coll('c1', 'Loaded')) }, { usage: usage({ c1: unused(10 * MIN) }) }));
    assert.deepEqual(b.actions, [], 'a restarted operator waits a full period again');
  });

  it('with usage unknown, never releases and says why (UsageKnown=False, usageUnknownReason)', () => {
    const p = idlePolicy({ overrideLoaded: true }, {}, { collections: [entry('Loaded', 'Loaded', T0 - 5 * HOUR)] });
    const r = run(input([p], { default: db(coll('c1', 'Loaded')) }));
    assert.deepEqual(r.actions, []);
    assert.equal(r.status.collections?.[0]?.usageUnknownReason, 'UsageNoSource');
    const cond = r.status.conditions?.find((c) => c.type === 'UsageKnown');
    assert.equal(cond?.status, 'False');
    assert.match(cond?.message ?? '', /spec\.usage/);
    assert.equal(r.status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('without overrideLoaded, a schedule window wins over idleness', () => {
    const p = idlePolicy({ loadOnUse: true }, { schedule: { windows: [{ start: '00:00', end: '23:59' }] } }, { collections: [entry('Loaded', 'Loaded', T0 - 5 * HOUR)] });
    const r = run(input([p], { default: db(coll('c1', 'Loaded')) }, { usage: usage({ c1: unused() }) }));
    assert.deepEqual(r.actions, []);
  });

  it('keeps a collection released for idleness released when requests come without loadOnUse, until the policy changes', () => {
    const status: PolicyStatus = { observedGeneration: 1, collections: [entry('Released', 'Idle', T0 - HOUR)] };
    const p = idlePolicy({ overrideLoaded: true }, {}, status);
    const r = run(input([p], { default: db(coll('c1')) }, { usage: usage({ c1: used(MIN) }) }));
    assert.deepEqual(r.actions, []);
    assert.equal(r.entry?.reason, 'Idle');
    const edited = policy({ name: 'p', generation: 2, spec: { selector: { names: ['c1'] }, idle: { releaseAfter: '3h', overrideLoaded: true } }, status });
    assert.deepEqual(run(input([edited], { default: db(coll('c1')) }, { usage: usage({ c1: used(MIN) }) })).actions.map((a) => a.kind), ['load']);
  });
});

describe('load on use', () => {
  it('loads a collection released for idleness when a request comes after the release, at High priority', () => {
    const p = idlePolicy({ overrideLoaded: true, loadOnUse: true }, {}, { collections: [entry('Released', 'Idle', T0 - HOUR)] });
    const r = run(input([p], { default: db(coll('c1')) }, { usage: usage({ c1: used(MIN) }) }));
    const [a] = r.actions;
    assert.equal(a?.kind, 'load');
    assert.equal(a.reason, 'LoadOnUse');
    assert.equal((a).priority, 'High');
    assert.equal(r.entry?.reason, 'LoadOnUse');
    assert.deepEqual(eventsFor(r.draft, p.status, r.status).map((e) => e.reason), ['LoadOnUse']);
  });

  it('a load on use Milvus finishes within the pass keeps its reason (and its LoadOnUse Event)', () => {
    const p = idlePolicy({ loadOnUse: true }, { state: 'Released' }, { collections: [entry('Released', 'Released', T0 - HOUR)] });
    const r = run(input([p], { default: db(coll('c1')) }, { usage: usage({ c1: used(MIN) }) }));
    const done = withActionOutcomes(r.draft, { failures: new Map(), refreshFailed: false, completed: new Set(['c1']) }, T0);
    assert.deepEqual([done.entries?.[0]?.state, done.entries?.[0]?.reason], ['Loaded', 'LoadOnUse']);
    const status = renderPolicyStatus(done, T0);
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(eventsFor(done, p.status, status).map((e) => e.reason), ['LoadOnUse']);
  });

  it('does not load for a request from before the release', () => {
    const p = idlePolicy({ overrideLoaded: true, loadOnUse: true }, {}, { collections: [entry('Released', 'Idle', T0 - 10 * MIN)] });
    assert.deepEqual(run(input([p], { default: db(coll('c1')) }, { usage: usage({ c1: used(20 * MIN) }) })).actions, []);
  });

  it('state Released with loadOnUse: on demand, kept while used, with reason InUse; Ready', () => {
    const p = idlePolicy({ loadOnUse: true }, { state: 'Released' }, { collections: [entry('Loaded', 'InUse', T0 - HOUR)] });
    const r = run(input([p], { default: db(coll('c1', 'Loaded')) }, { usage: usage({ c1: used(5 * MIN) }) }));
    assert.deepEqual(r.actions, []);
    assert.equal(r.entry?.reason, 'InUse');
    assert.equal(r.status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.ok(r.status.collections?.[0]?.lastUsedTime);
  });

  it('loads on use only where the budget has room, and an idle-released collection frees its memory', () => {
    const b = budget('b', '100Mi');
    const onDemand = policy({ name: 'od', spec: { selector: { names: ['c1'] }, state: 'Released', idle: { releaseAfter: '2h', loadOnUse: true }, load: { memoryEstimate: '60Mi' } } });
    const hot = policy({ name: 'hot', spec: { selector: { names: ['c2'] }, priority: 5, load: { memoryEstimate: '60Mi' } } });
    const busy = run(input([onDemand, hot], { default: db(coll('c1'), coll('c2', 'Loaded')) }, { budgets: [b], usage: usage({ c1: used(MIN), c2: used(MIN) }) }));
    const od = busy.out.policies.find((d) => d.ref === 'team/od')?.entries?.[0];
    assert.equal(od?.state, 'Deferred', 'the load on use waits for room');
    assert.deepEqual(busy.actions, []);
    const idler = policy({ name: 'idler', spec: { selector: { names: ['c2'] }, priority: 5, idle: { releaseAfter: '2h', overrideLoaded: true }, load: { memoryEstimate: '60Mi' } }, status: { collections: [{ ...entry('Loaded', 'Loaded', T0 - 5 * HOUR), name: 'c2' }] } });
    const freed = run(input([onDemand, idler], { default: db(coll('c1'), coll('c2', 'Loaded')) }, { budgets: [b], usage: usage({ c1: used(MIN), c2: unused() }) }));
    assert.deepEqual(freed.actions.map((a) => `${a.kind} ${a.collection} ${a.reason}`).sort(), ['load c1 LoadOnUse', 'release c2 Idle']);
  });
});

describe('load priority', () => {
  it('passes spec.load.priority, and Low for a prewarm load', () => {
    const declared = policy({ name: 'p', spec: { selector: { names: ['c1'] }, load: { priority: 'Low' } } });
    assert.equal((run(input([declared], { default: db(coll('c1')) })).actions[0] as LoadAction).priority, 'Low');
    const plain = policy({ name: 'p', spec: { selector: { names: ['c1'] } } });
    assert.equal((run(input([plain], { default: db(coll('c1')) })).actions[0] as LoadAction).priority, undefined);
    const at = new Date(T0 + 10 * MIN);
    const start = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
    const prewarm = policy({ name: 'p', spec: { selector: { names: ['c1'] }, schedule: { windows: [{ start, end: '23:59' }], prewarm: '15m' } } });
    assert.equal((run(input([prewarm], { default: db(coll('c1')) })).actions[0] as LoadAction).priority, 'Low');
  });
});
