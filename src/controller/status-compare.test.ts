import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyStatus } from '../api/policy.ts';
import { onlyStatusChanged } from './operator.ts';
import { canonicalJson, sameStatus } from './reconcile.ts';

describe('status comparison', () => {
  it('ignores key order (the apiserver sorts keys; we render in insertion order) and the heartbeat', () => {
    const ours = { observedGeneration: 2, effectiveState: 'Loaded', collections: [{ name: 'a', state: 'Loaded', reason: 'Loaded' }], lastSyncTime: '2026-01-01T00:00:00Z' } as unknown as PolicyStatus;
    const stored = JSON.parse('{"collections":[{"reason":"Loaded","name":"a","state":"Loaded"}],"effectiveState":"Loaded","lastSyncTime":"2026-01-01T00:05:00Z","observedGeneration":2}') as PolicyStatus;
    assert.equal(sameStatus(stored, ours), true);
    assert.equal(sameStatus(stored, { ...ours, observedGeneration: 3 }), false);
    assert.equal(sameStatus(undefined, ours), false);
    assert.equal(canonicalJson({ b: [{ d: 1, c: 2 }], a: null }), '{"a":null,"b":[{"c":2,"d":1}]}');
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
