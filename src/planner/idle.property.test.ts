// Invariants of idle release and load on use (ADR 0010), over random usage,
// observations and histories, and a simulated day with an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CollectionState, PolicyStatus } from '../api/policy.ts';
import { plan } from './plan.ts';
import { renderPolicyStatus, transitionsAfter } from './status.ts';
import { coll, db, milvusActions, observationKey, policy, T0 } from './testkit.ts';
import type { CollectionUsage, ObservedCollection, Plan, Transition, UsageInput } from './types.ts';

const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const MIN = 60_000;
const HOUR = 60 * MIN;
const RELEASE_AFTER = 2 * HOUR;

const arbUsage: fc.Arbitrary<CollectionUsage> = fc.oneof(
  fc.record({ reason: fc.constantFrom('UsageUnavailable', 'UsageNotPerCollection'), message: fc.constant('usage unknown in this test') }).map((u) => ({ state: 'Unknown' as const, ...u })),
  fc
    .record({ trackedAgo: fc.integer({ min: 0, max: 6 * HOUR }), usedAgo: fc.option(fc.integer({ min: 0, max: 6 * HOUR }), { nil: undefined }) })
    .map((u) => ({
      state: 'Known' as const,
      trackedSince: T0 - u.trackedAgo,
      ...(u.usedAgo === undefined ? {} : { lastUsedTime: T0 - Math.min(u.usedAgo, u.trackedAgo) }),
    })),
);

const arbTransition: fc.Arbitrary<Transition | undefined> = fc.option(
  fc.record({
    state: fc.constantFrom<CollectionState>('Loaded', 'Loading', 'Released', 'Deferred', 'Failed'),
    reason: fc.constantFrom('Loaded', 'Released', 'Idle', 'LoadOnUse', 'InUse', 'LoadStarted'),
    since: fc.integer({ min: T0 - 8 * HOUR, max: T0 }),
  }),
  { nil: undefined },
);

const arbSpec = fc.record({
  state: fc.constantFrom('Loaded' as const, 'Released' as const),
  overrideLoaded: fc.boolean(),
  loadOnUse: fc.boolean(),
});

const arbCase = fc.record({
  spec: arbSpec.filter((s) => s.overrideLoaded || (s.loadOnUse && s.state === 'Released')),
  collections: fc.uniqueArray(
    fc.record({ name: fc.constantFrom(...NAMES), loaded: fc.boolean(), usage: arbUsage, last: arbTransition }),
    { selector: (c) => c.name, minLength: 1, maxLength: NAMES.length },
  ),
  sourceConfigured: fc.boolean(),
});

type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function idlePolicy(s: Case['spec'], withIdle = true) {
  return policy({
    name: 'p',
    spec: {
      selector: { patterns: ['c*'] },
      state: s.state,
      ...(withIdle ? { idle: { releaseAfter: '2h', overrideLoaded: s.overrideLoaded, loadOnUse: s.loadOnUse } } : {}),
    },
  });
}

function planCase(c: Case, withIdle = true): Plan {
  const usage: UsageInput = {
    periodMs: MIN,
    collections: new Map(c.collections.map((x) => [`default/${x.name}`, x.usage])),
    otherwise: { state: 'Unknown', reason: 'UsageNotPerCollection', message: 'not named by the metrics' },
  };
  const transitions = new Map(c.collections.flatMap((x) => (x.last ? [[x.name, x.last] as const] : [])));
  return plan({
    instance: 'milvus:19530',
    policies: [{ policy: idlePolicy(c.spec, withIdle), problems: [], observationKey: observationKey(), transitions }],
    budgets: [],
    observed: new Map([[observationKey(), db(...c.collections.map((x) => coll(x.name, x.loaded ? 'Loaded' : 'NotLoad')))]]),
    now: T0,
    ...(c.sourceConfigured ? { usage } : {}),
  });
}

const usageOfCase = (c: Case, name: string): CollectionUsage | undefined => (c.sourceConfigured ? c.collections.find((x) => x.name === name)?.usage : undefined);

describe('idle release, properties', () => {
  it('never releases for idleness a collection whose usage is unknown', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const a of milvusActions(planCase(c).actions)) {
          if (a.kind !== 'release' || a.reason !== 'Idle') continue;
          assert.equal(usageOfCase(c, a.collection)?.state, 'Known', `${a.collection} released for idleness with unknown usage`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('with usage unknown everywhere, acts exactly as the same policy without spec.idle', () => {
    const unknown = arbCase.map((c) => ({ ...c, sourceConfigured: false }));
    fc.assert(
      fc.property(unknown, (c) => {
        const strip = (p: Plan) => milvusActions(p.actions).map((a) => `${a.kind} ${a.collection}`).sort();
        assert.deepEqual(strip(planCase(c)), strip(planCase(c, false)));
      }),
      { numRuns: 300 },
    );
  });

  it('never releases for idleness a collection used within releaseAfter', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const a of milvusActions(planCase(c).actions)) {
          if (a.kind !== 'release' || a.reason !== 'Idle') continue;
          const u = usageOfCase(c, a.collection);
          assert.ok(u?.state === 'Known');
          const reference = Math.max(u.lastUsedTime ?? -Infinity, u.trackedSince);
          assert.ok(T0 - reference >= RELEASE_AFTER, `${a.collection} was used ${(T0 - reference) / MIN} min ago and released for idleness`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('loads on use only with loadOnUse, and only after a request', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const a of milvusActions(planCase(c).actions)) {
          if (a.kind !== 'load' || a.reason !== 'LoadOnUse') continue;
          assert.ok(c.spec.loadOnUse);
          const u = usageOfCase(c, a.collection);
          assert.ok(u?.state === 'Known' && u.lastUsedTime !== undefined && T0 - u.lastUsedTime < RELEASE_AFTER);
          assert.equal(a.priority, 'High', 'someone waits for a load on use');
        }
      }),
      { numRuns: 400 },
    );
  });
});

/**
 * A day of traffic with an injected clock: 20 collections, 17 searched every
 * 5 minutes, 3 idle; one idle one is searched once at 06:00. The usage source
 * reads the counters once a minute (a request becomes lastUsedTime at the
 * first read after it); the operator plans every 30 s, and Milvus loads and
 * releases at once.
 */
describe('a simulated day', () => {
  const PERIOD = MIN;
  const PASS = 30_000;
  const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
  const idle = new Set(['c17', 'c18', 'c19']);
  const searchedOnceAt = T0 + 6 * HOUR + 10_000;

  function searchesBefore(name: string, t: number): number | undefined {
    if (name === 'c18') return t >= searchedOnceAt ? searchedOnceAt : undefined;
    if (idle.has(name)) return undefined;
    return T0 + Math.floor((t - T0) / (5 * MIN)) * 5 * MIN;
  }

  /** lastUsedTime as the source reports it at `now`: the first read at or after the last request, if that read has happened. */
  function usageAt(now: number): UsageInput {
    const lastRead = T0 + Math.floor((now - T0) / PERIOD) * PERIOD;
    const collections = new Map<string, CollectionUsage>();
    for (const n of names) {
      const searched = searchesBefore(n, lastRead);
      const seen = searched === undefined ? undefined : T0 + Math.ceil((searched - T0) / PERIOD) * PERIOD;
      collections.set(`default/${n}`, { state: 'Known', trackedSince: T0, ...(seen !== undefined && seen <= lastRead ? { lastUsedTime: seen } : {}) });
    }
    return { periodMs: PERIOD, collections, otherwise: { state: 'Unknown', reason: 'UsageNotPerCollection', message: 'x' } };
  }

  it('releases the idle ones at releaseAfter (± one period), loads a searched one within one period, never touches the busy ones', () => {
    const observed = new Map<string, ObservedCollection>(names.map((n) => [n, coll(n, 'Loaded')]));
    let status: PolicyStatus | undefined;
    let transitions: ReadonlyMap<string, Transition> | undefined;
    const log: { at: number; kind: string; collection: string; reason: string }[] = [];
    for (let now = T0; now <= T0 + 24 * HOUR; now += PASS) {
      const p = policy({ name: 'tenants', spec: { selector: { patterns: ['c*'] }, idle: { releaseAfter: '2h', overrideLoaded: true, loadOnUse: true } }, ...(status ? { status } : {}) });
      const out = plan({
        instance: 'milvus:19530',
        policies: [{ policy: p, problems: [], observationKey: observationKey(), ...(transitions ? { transitions } : {}) }],
        budgets: [],
        observed: new Map([[observationKey(), db(...observed.values())]]),
        now,
        usage: usageAt(now),
      });
      const draft = out.policies[0];
      assert.ok(draft);
      status = renderPolicyStatus(draft, now);
      transitions = transitionsAfter(draft, transitions, now);
      for (const a of milvusActions(out.actions)) {
        log.push({ at: now, kind: a.kind, collection: a.collection, reason: a.reason });
        observed.set(a.collection, coll(a.collection, a.kind === 'load' ? 'Loaded' : 'NotLoad'));
      }
    }
    const of = (n: string) => log.filter((l) => l.collection === n);
    for (const n of names.filter((x) => !idle.has(x))) assert.deepEqual(of(n), [], `busy ${n} was touched`);
    for (const n of ['c17', 'c19']) {
      assert.equal(of(n).length, 1, `${n}: ${JSON.stringify(of(n))}`);
      const [rel] = of(n);
      assert.ok(rel && rel.kind === 'release' && rel.reason === 'Idle');
      assert.ok(Math.abs(rel.at - (T0 + RELEASE_AFTER)) <= PERIOD, `${n} released at +${(rel.at - T0) / MIN} min`);
    }
    const c18 = of('c18');
    assert.deepEqual(
      c18.map((l) => `${l.kind} ${l.reason}`),
      ['release Idle', 'load LoadOnUse', 'release Idle'],
    );
    const [first, load, again] = c18;
    assert.ok(first && load && again);
    assert.ok(Math.abs(first.at - (T0 + RELEASE_AFTER)) <= PERIOD);
    assert.ok(load.at > searchedOnceAt && load.at - searchedOnceAt <= PERIOD, `loaded ${(load.at - searchedOnceAt) / 1000} s after the search`);
    // Idleness counts from the later of the request and the load it caused.
    assert.ok(Math.abs(again.at - (load.at + RELEASE_AFTER)) <= PERIOD, `released again ${(again.at - load.at) / MIN} min after the load on use`);
    const final = new Map((status?.collections ?? []).map((e) => [e.name, e]));
    assert.equal(final.get('c17')?.reason, 'Idle');
    assert.equal(final.get('c00')?.state, 'Loaded');
    assert.ok(final.get('c00')?.lastUsedTime, 'a busy collection shows when it was last used');
    assert.equal(status?.conditions?.find((c) => c.type === 'UsageKnown')?.status, 'True');
    assert.equal(status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'idle-released collections are as the policy wants');
  });
});
