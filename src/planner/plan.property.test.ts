// Invariants of the planner over random policies, budgets and observations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CollectionLoadBudget } from '../api/budget.ts';
import { parseQuantity } from '../api/quantity.ts';
import { INCUMBENT_SLACK } from './admission.ts';
import { plan } from './plan.ts';
import { renderPolicyStatus } from './status.ts';
import { budget, coll, db, describeActions, input, milvusActions, policy, T0 } from './testkit.ts';
import type { ObservedCollection, ObservedDatabase, Plan, PlanInput } from './types.ts';

const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'x0', 'x1'];
const MiB = 2 ** 20;

const arbPolicy = (i: number) =>
  fc
    .record({
      names: fc.subarray(NAMES, { minLength: 0, maxLength: 4 }),
      pattern: fc.constantFrom(undefined, 'c*', 'x?', 'c[0-2]'),
      state: fc.constantFrom('Loaded' as const, 'Released' as const),
      priority: fc.integer({ min: 0, max: 3 }),
      replicas: fc.integer({ min: 1, max: 2 }),
      estimateMi: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
      suspend: fc.boolean(),
      ageMinutes: fc.integer({ min: 1, max: 5 }),
    })
    .filter((r) => r.names.length > 0 || r.pattern !== undefined)
    .map((r) =>
      policy({
        name: `p${i}`,
        created: T0 - r.ageMinutes * 60_000,
        spec: {
          selector: { ...(r.names.length ? { names: r.names } : {}), ...(r.pattern ? { patterns: [r.pattern] } : {}) },
          state: r.state,
          priority: r.priority,
          suspend: r.suspend && i === 0,
          ...(r.state === 'Loaded' ? { load: { replicas: r.replicas, ...(r.estimateMi ? { memoryEstimate: `${r.estimateMi}Mi` } : {}) } } : {}),
        },
      }),
    );

const arbPolicies = fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbPolicy(i))));

const arbObserved = fc
  .subarray(NAMES, { minLength: 1 })
  .chain((names) =>
    fc.tuple(
      ...names.map((n) =>
        fc.record({ state: fc.constantFrom('NotLoad' as const, 'Loaded' as const), schemaMi: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }) }).map((r) =>
          coll(n, r.state, r.schemaMi ? { schemaBytes: r.schemaMi * MiB } : {}),
        ),
      ),
    ),
  );

const arbBudget = fc.option(
  fc.record({ limitMi: fc.integer({ min: 50, max: 1200 }), preemption: fc.constantFrom('Never' as const, 'LowerPriority' as const) }).map((b) => budget('b', `${b.limitMi}Mi`, b.preemption)),
  { nil: undefined },
);

function build(policies: ReturnType<typeof policy>[], observed: ObservedCollection[], b: CollectionLoadBudget | undefined): PlanInput {
  return input(policies, { default: db(...observed) }, { budgets: b ? [b] : [] });
}

/** Milvus after the plan's actions, as an instant-loading server would be. */
function applyToMilvus(observed: ReadonlyMap<string, ObservedDatabase>, p: Plan): Map<string, ObservedDatabase> {
  const next = new Map<string, ObservedDatabase>();
  for (const [k, d] of observed) {
    if (!d.ok) {
      next.set(k, d);
      continue;
    }
    const cols = new Map(d.collections);
    for (const a of milvusActions(p.actions)) {
      if (a.observationKey !== k) continue;
      const c = cols.get(a.collection);
      if (!c) continue;
      cols.set(a.collection, a.kind === 'load' ? { ...c, loadState: 'Loaded', progress: 100, replicas: a.options.replicas } : { ...c, loadState: 'NotLoad', progress: 0, replicas: 0 });
    }
    next.set(k, { ok: true, collections: cols });
  }
  return next;
}

function withStatuses(inp: PlanInput, p: Plan): PlanInput {
  return {
    ...inp,
    policies: inp.policies.map((pi) => {
      const draft = p.policies.find((d) => d.policy === pi.policy);
      return draft ? { ...pi, policy: { ...pi.policy, status: renderPolicyStatus(draft, inp.now) } } : pi;
    }),
  };
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('planner properties', () => {
  it('never throws, and acts only on selected collections', () => {
    fc.assert(
      fc.property(arbPolicies, arbObserved, arbBudget, (policies, observed, b) => {
        const p = plan(build(policies, observed, b));
        const selected = new Set<string>();
        for (const d of p.policies) for (const e of d.entries ?? []) selected.add(e.name);
        for (const a of milvusActions(p.actions)) assert.ok(selected.has(a.collection), `${a.collection} was acted on but not selected`);
      }),
      { numRuns: 300 },
    );
  });

  it('planning again on the state the plan produces yields no Milvus action', () => {
    fc.assert(
      fc.property(arbPolicies, arbObserved, arbBudget, (policies, observed, b) => {
        const first = build(policies, observed, b);
        const p1 = plan(first);
        const second = withStatuses({ ...first, observed: applyToMilvus(first.observed, p1) }, p1);
        const p2 = plan(second);
        assert.deepEqual(describeActions(milvusActions(p2.actions)), [], 'a second pass must find nothing to do');
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same plan whatever the order of its inputs', () => {
    fc.assert(
      fc.property(arbPolicies, arbObserved, arbBudget, fc.integer({ min: 1, max: 1e6 }), (policies, observed, b, seed) => {
        const a = plan(build(policies, observed, b));
        const shuffled = build(shuffle(policies, seed), shuffle(observed, seed + 1), b);
        const z = plan(shuffled);
        assert.deepEqual(describeActions(z.actions), describeActions(a.actions));
        const render = (p: Plan) => p.policies.map((d) => [d.ref, JSON.stringify(renderPolicyStatus(d, T0))]).sort();
        assert.deepEqual(render(z), render(a));
      }),
      { numRuns: 200 },
    );
  });

  it('never admits more than the limit (incumbents: the limit plus the documented slack)', () => {
    fc.assert(
      fc.property(arbPolicies, arbObserved, arbBudget, (policies, observed, b) => {
        // A suspended policy's loaded collections are outside the operator's control.
        if (!b || policies.some((x) => x.spec.suspend)) return;
        const p = plan(build(policies, observed, b));
        const s = p.budgets[0]?.status;
        if (!s) return;
        const limit = parseQuantity(b.spec.memoryLimit) ?? 0;
        assert.ok((s.usedBytes ?? 0) <= limit * (1 + INCUMBENT_SLACK) + 1, `used ${s.usedBytes} > limit ${limit}`);
        const anyIncumbent = observed.some((o) => o.loadState !== 'NotLoad');
        if (!anyIncumbent) assert.ok((s.usedBytes ?? 0) <= limit, 'newcomers alone must fit under the limit itself');
      }),
      { numRuns: 300 },
    );
  });

  it('small estimate changes near the limit do not flap an admitted collection', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1000 }), fc.double({ min: -0.04, max: 0.04, noNaN: true }), (limitMi, jitter) => {
        const estimate = Math.round(limitMi * 0.99);
        const pol = (mi: number) => policy({ name: 'a', spec: { load: { memoryEstimate: `${mi}Mi` } } });
        const b = budget('b', `${limitMi}Mi`);
        const first = plan(input([pol(estimate)], { default: db(coll('c1')) }, { budgets: [b] }));
        assert.deepEqual(describeActions(first.actions), ['load default/c1']);
        const moved = Math.max(1, Math.round(estimate * (1 + jitter)));
        const second = plan(input([pol(moved)], { default: db(coll('c1', 'Loaded')) }, { budgets: [b] }));
        assert.deepEqual(second.actions, [], `estimate ${estimate}Mi -> ${moved}Mi under ${limitMi}Mi released an admitted collection`);
      }),
      { numRuns: 200 },
    );
  });
});
