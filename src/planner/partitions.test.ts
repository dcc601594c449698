// Rolling partition windows (spec.partitionSelector) through the whole planner.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from './plan.ts';
import { renderPolicyStatus } from './status.ts';
import { coll, db, describeActions, input, milvusActions, policy } from './testkit.ts';
import type { ObservedLoadState, ObservedPartition } from './types.ts';

function parts(spec: Record<string, ObservedLoadState | [ObservedLoadState, number]>): Map<string, ObservedPartition> {
  return new Map(
    Object.entries(spec).map(([name, v]) => {
      const [loadState, createdAt] = Array.isArray(v) ? v : [v, undefined];
      return [name, { loadState, progress: loadState === 'Loaded' ? 100 : 0, ...(createdAt === undefined ? {} : { createdAt }) }];
    }),
  );
}

const window = (extra: Record<string, unknown> = {}) =>
  policy({ name: 'events', spec: { selector: { names: ['events'] }, partitionSelector: { patterns: ['p_2026_*'], keepNewest: 3, ...extra } } });

const planWith = (p: ReturnType<typeof window>, partitions: Map<string, ObservedPartition>) =>
  plan(input([p], { default: db(coll('events', 'Loaded', { partitions })) }));

describe('rolling partition window', () => {
  it('loads the newest N matching partitions and never touches partitions that do not match', () => {
    const out = planWith(window(), parts({ p_2026_08: 'NotLoad', p_2026_09: 'NotLoad', p_2026_10: 'NotLoad', p_2026_11: 'NotLoad', _default: 'Loaded', other: 'NotLoad' }));
    assert.deepEqual(describeActions(out.actions), ['load default/events[p_2026_11,p_2026_10,p_2026_09]']);
  });

  it('releases the older matching partitions once the newest are loaded', () => {
    const out = planWith(window(), parts({ p_2026_08: 'Loaded', p_2026_09: 'Loaded', p_2026_10: 'Loaded', p_2026_11: 'Loaded', _default: 'Loaded' }));
    const [a] = milvusActions(out.actions);
    assert.equal(a?.kind, 'release');
    assert.deepEqual(a?.partitions, ['p_2026_08']);
    assert.equal(a?.kind === 'release' ? a.reason : undefined, 'PartitionAged');
    assert.equal(out.policies[0]?.entries?.[0]?.reason, 'PartitionsRolled');
  });

  it('moves make-before-break: a new partition is loaded first, the oldest released on a later pass', () => {
    const added = planWith(window(), parts({ p_2026_09: 'Loaded', p_2026_10: 'Loaded', p_2026_11: 'Loaded', p_2026_12: 'NotLoad' }));
    assert.deepEqual(describeActions(added.actions), ['load default/events[p_2026_12]']);
    const loaded = planWith(window(), parts({ p_2026_09: 'Loaded', p_2026_10: 'Loaded', p_2026_11: 'Loaded', p_2026_12: 'Loaded' }));
    assert.deepEqual(describeActions(loaded.actions), ['release default/events[p_2026_09]']);
    const settled = planWith(window(), parts({ p_2026_09: 'NotLoad', p_2026_10: 'Loaded', p_2026_11: 'Loaded', p_2026_12: 'Loaded' }));
    assert.deepEqual(describeActions(settled.actions), []);
    assert.equal(settled.policies[0]?.entries?.[0]?.state, 'Loaded');
  });

  it('orders by creation time when asked', () => {
    const out = planWith(window({ orderBy: 'CreationTime', keepNewest: 1 }), parts({ p_2026_b: ['NotLoad', 1000], p_2026_a: ['NotLoad', 2000] }));
    assert.deepEqual(describeActions(out.actions), ['load default/events[p_2026_a]']);
  });

  it('says so when no partition matches yet', () => {
    const out = planWith(window(), parts({ _default: 'Loaded' }));
    assert.deepEqual(out.actions.filter((a) => a.kind === 'load' || a.kind === 'release'), []);
    const e = out.policies[0]?.entries?.[0];
    assert.equal(e?.reason, 'NoMatchingPartition');
    assert.match(e?.message ?? '', /matching partitions are loaded when they are created/);
  });

  it('releases every loaded matching partition when the policy wants Released', () => {
    const p = policy({ name: 'events', spec: { selector: { names: ['events'] }, state: 'Released', partitionSelector: { patterns: ['p_2026_*'], keepNewest: 1 } } });
    const out = planWith(p, parts({ p_2026_10: 'Loaded', p_2026_11: 'Loaded', other: 'Loaded' }));
    const [a] = milvusActions(out.actions);
    assert.deepEqual([...(a?.partitions ?? [])].sort(), ['p_2026_10', 'p_2026_11']);
  });

  it('two policies with the same window agree; different windows conflict', () => {
    const a = window();
    const b = policy({ name: 'events-b', spec: { selector: { names: ['events'] }, partitionSelector: { patterns: ['p_2026_*'], keepNewest: 3 } } });
    const c = policy({ name: 'events-c', spec: { selector: { names: ['events'] }, partitionSelector: { patterns: ['p_2026_*'], keepNewest: 2 } } });
    const observed = { default: db(coll('events', 'Loaded', { partitions: parts({ p_2026_11: 'Loaded' }) })) };
    const agree = plan(input([a, b], observed));
    assert.notEqual(agree.policies[1]?.entries?.[0]?.state, 'Conflict');
    const differ = plan(input([a, c], observed));
    assert.equal(differ.policies.find((d) => d.ref === 'team/events-c')?.entries?.[0]?.state, 'Conflict');
  });

  it('renders a status the schema accepts', () => {
    const out = planWith(window(), parts({ p_2026_08: 'Loaded', p_2026_09: 'Loaded', p_2026_10: 'Loaded', p_2026_11: 'Loaded' }));
    const draft = out.policies[0];
    assert.ok(draft);
    const status = renderPolicyStatus(draft, 0);
    assert.equal(status.collections?.[0]?.state, 'Loaded');
  });
});
