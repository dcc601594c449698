// PassMemory after passes that plan part of an instance (a cell) and the whole of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policy, T0 } from '../planner/testkit.ts';
import type { RetryState } from '../planner/retry.ts';
import type { PolicyDraft } from '../planner/types.ts';
import { PassMemory } from './pass-memory.ts';

const failing = (name: string): PolicyDraft => {
  const retry: RetryState = { action: 'Load', reason: 'IndexNotFound', message: 'no index', class: 'Terminal', at: T0, retries: 1, nextAttemptAt: T0 + 60_000 };
  return { ref: `team/${name}`, policy: policy({ name }), effectiveState: 'Loaded', blockers: [], actionCount: 1, entries: [{ name: 'c1', state: 'Failed', reason: 'IndexNotFound', message: 'no index', retry }] };
};

describe('PassMemory', () => {
  it('a pass over one cell keeps what the others left', () => {
    const m = new PassMemory();
    m.remember('i', [failing('a'), failing('b')], T0);
    m.remember('i', [{ ...failing('b'), entries: [{ name: 'c1', state: 'Loaded', reason: 'Loaded', message: '' }] }], T0 + 1);
    assert.equal(m.recall('i', policy({ name: 'a' }))?.retries.get('c1')?.retries, 1);
    assert.equal(m.recall('i', policy({ name: 'b' }))?.retries.size, 0);
    assert.equal(m.recall('i', policy({ name: 'b' }))?.transitions.get('c1')?.since, T0 + 1);
  });

  it('a whole pass forgets the policies the instance no longer has', () => {
    const m = new PassMemory();
    m.remember('i', [failing('a'), failing('b')], T0);
    m.keepOnly('i', [policy({ name: 'b' })]);
    assert.equal(m.recall('i', policy({ name: 'a' })), undefined);
    assert.ok(m.recall('i', policy({ name: 'b' })));
    m.keepOnly('i', []);
    assert.equal(m.recall('i', policy({ name: 'b' })), undefined);
  });
});
