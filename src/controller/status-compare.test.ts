import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyStatus } from '../api/policy.ts';
import { onlyStatusChanged } from './operator.ts';
import fc from 'fast-check';
import { jsonEqual } from './json-equal.ts';
import { sameStatus } from './reconcile.ts';

/** The oracle: JSON with keys sorted at every level (what the comparison did before). */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

describe('status comparison', () => {
  it('ignores key order (the apiserver sorts keys; we render in insertion order) and the heartbeat', () => {
    const ours = { observedGeneration: 2, effectiveState: 'Loaded', collections: [{ name: 'a', state: 'Loaded', reason: 'Loaded' }], lastSyncTime: '2026-01-01T00:00:00Z' } as unknown as PolicyStatus;
    const stored = JSON.parse('{"collections":[{"reason":"Loaded","name":"a","state":"Loaded"}],"effectiveState":"Loaded","lastSyncTime":"2026-01-01T00:05:00Z","observedGeneration":2}') as PolicyStatus;
    assert.equal(sameStatus(stored, ours), true);
    assert.equal(sameStatus(stored, { ...ours, observedGeneration: 3 }), false);
    assert.equal(sameStatus(undefined, ours), false);
  });

  it('jsonEqual agrees with comparing key-sorted JSON, for any JSON values and key orders', () => {
    const shuffled = (v: unknown, seed: number): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => shuffled(x, seed + i));
      if (v === null || typeof v !== 'object') return v;
      const entries = Object.entries(v as Record<string, unknown>);
      if (seed % 2 === 1) entries.reverse();
      return Object.fromEntries(entries.map(([k, x]) => [k, shuffled(x, seed + 1)]));
    };
    const value = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(value, value, fc.nat(), (a, b, seed) => {
        assert.equal(jsonEqual(a, shuffled(b, seed)), canonicalJson(a) === canonicalJson(b));
        assert.equal(jsonEqual(a, shuffled(a, seed)), true);
      }),
      { numRuns: 500, seed: 20261202 },
    );
    assert.equal(jsonEqual({ a: 1, b: undefined }, { a: 1 }), true, 'an undefined value is no key, as in JSON');
    assert.equal(jsonEqual({ a: [1, 2] }, { a: [2, 1] }), false, 'array order matters');
    assert.equal(jsonEqual({ a: null }, { a: undefined }), false);
  });

  it('skips watch events that change only the status, not spec, metadata we read, or deletion', () => {
    const base = { metadata: { generation: 4, labels: { a: '1' }, annotations: { x: 'y' }, finalizers: ['f'] } };
    assert.equal(onlyStatusChanged(base, { metadata: { ...base.metadata } }), true);
    assert.equal(onlyStatusChanged(base, { metadata: { ...base.metadata, generation: 5 } }), false);
    assert.equal(onlyStatusChanged(base, { metadata: { ...base.metadata, annotations: { x: 'z' } } }), false);
    assert.equal(onlyStatusChanged(base, { metadata: { ...base.metadata, finalizers: [] } }), false);
    assert.equal(onlyStatusChanged(base, { metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), false);
    assert.equal(onlyStatusChanged(undefined, base), false, 'an add is never skipped');
    assert.equal(onlyStatusChanged(base, undefined), false, 'a delete is never skipped');
  });
});
