import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { admit, compareCandidates, INCUMBENT_SLACK, type BudgetCandidate } from './admission.ts';
import { budget, policy, T0 } from './testkit.ts';

const MiB = 2 ** 20;

const arbCandidates = fc.array(
  fc.record({ prio: fc.integer({ min: 0, max: 4 }), mi: fc.integer({ min: 1, max: 400 }), incumbent: fc.boolean(), age: fc.integer({ min: 1, max: 9 }) }),
  { minLength: 1, maxLength: 12 },
);

function candidates(rows: { prio: number; mi: number; incumbent: boolean; age: number }[]): BudgetCandidate[] {
  return rows.map((r, i) => {
    const p = policy({ name: `p${i}`, created: T0 - r.age * 60_000, spec: { priority: r.prio } });
    return {
      key: `default/c${i}`,
      database: 'default',
      collection: `c${i}`,
      winner: { ref: `team/p${i}`, policy: p, desire: { effective: 'Loaded', claim: 'strong', prewarming: false } },
      estimate: { bytes: r.mi * MiB, source: 'Spec' },
      incumbent: r.incumbent,
      frozen: false,
    };
  });
}

describe('budget admission', () => {
  it('with LowerPriority, a deferred collection would not fit even if every lower-ranked one were released', () => {
    fc.assert(
      fc.property(arbCandidates, fc.integer({ min: 50, max: 1500 }), (rows, limitMi) => {
        const cs = candidates(rows);
        const a = admit(budget('b', `${limitMi}Mi`, 'LowerPriority'), cs);
        for (const c of cs) {
          const d = a.deferred.get(c.key);
          if (!d || d.reason !== 'OverBudget') continue;
          const above = cs.filter((x) => compareCandidates(x, c) < 0 && a.admitted.has(x.key)).reduce((s, x) => s + (x.estimate?.bytes ?? 0), 0);
          const cap = limitMi * MiB * (c.incumbent ? 1 + INCUMBENT_SLACK : 1);
          assert.ok(above + (c.estimate?.bytes ?? 0) > cap, `${c.key} deferred although only lower-ranked collections stood in its way`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with Never, no incumbent is displaced by a newcomer', () => {
    fc.assert(
      fc.property(arbCandidates, fc.integer({ min: 50, max: 1500 }), (rows, limitMi) => {
        const cs = candidates(rows);
        const a = admit(budget('b', `${limitMi}Mi`, 'Never'), cs);
        const incumbentsAlone = admit(budget('b', `${limitMi}Mi`, 'Never'), cs.filter((c) => c.incumbent));
        for (const c of cs.filter((x) => x.incumbent)) assert.equal(a.admitted.has(c.key), incumbentsAlone.admitted.has(c.key));
      }),
      { numRuns: 300 },
    );
  });

  it('admitted estimates stay within the limit (plus slack for incumbents)', () => {
    fc.assert(
      fc.property(arbCandidates, fc.integer({ min: 50, max: 1500 }), fc.constantFrom('Never' as const, 'LowerPriority' as const), (rows, limitMi, mode) => {
        const a = admit(budget('b', `${limitMi}Mi`, mode), candidates(rows));
        assert.ok(a.usedBytes <= limitMi * MiB * (1 + INCUMBENT_SLACK));
        if (rows.every((r) => !r.incumbent)) assert.ok(a.usedBytes <= limitMi * MiB);
      }),
      { numRuns: 300 },
    );
  });
});
