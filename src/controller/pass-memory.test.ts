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

  it('a pass that changes nothing keeps the same transitions; a change starts a new one for that collection only', () => {
    const m = new PassMemory();
    const loaded = (name: string, c2: 'Loaded' | 'Loading'): PolicyDraft => ({
      ...failing(name),
      entries: [
        { name: 'c1', state: 'Loaded', reason: 'Loaded', message: '' },
        { name: 'c2', state: c2, reason: c2, message: '' },
      ],
    });
    m.remember('i', [loaded('a', 'Loaded')], T0);
    const first = m.recall('i', policy({ name: 'a' }))?.transitions;
    assert.equal(first?.get('c1'), first?.get('c2'), 'loaded together: one object for both');
    m.remember('i', [loaded('a', 'Loaded')], T0 + 1000);
    assert.equal(m.recall('i', policy({ name: 'a' }))?.transitions, first, 'nothing new allocated in the steady state');
    m.remember('i', [loaded('a', 'Loading')], T0 + 2000);
    const after = m.recall('i', policy({ name: 'a' }))?.transitions;
    assert.equal(after?.get('c1'), first?.get('c1'), 'c1 did not change');
    assert.equal(after?.get('c1')?.since, T0);
    assert.deepEqual(after?.get('c2'), { state: 'Loading', reason: 'Loading', since: T0 + 2000 });
  });

  it('a policy deleted and created again under the same name (a new uid) starts afresh', () => {
    const m = new PassMemory();
    const withUid = (uid: string) => {
      const p = policy({ name: 'a' });
      p.metadata.uid = uid;
      return p;
    };
    m.remember('i', [{ ...failing('a'), policy: withUid('u1') }], T0);
    assert.equal(m.recall('i', withUid('u1'))?.retries.get('c1')?.retries, 1);
    assert.equal(m.recall('i', withUid('u2')), undefined);
  });
});
