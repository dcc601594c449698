import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StringPool } from './string-pool.ts';

// Which copy of a string a slot holds cannot be seen from JavaScript; the
// bench's heap figures are the witness of the saving. These pin what can
// be seen: values unchanged, what is pooled, and the bounds.
describe('StringPool', () => {
  it('pools each distinct string once and leaves the document equal to what it was', () => {
    const pool = new StringPool();
    const doc = { spec: { names: ['c1', 'c2'] }, status: { collections: [{ name: 'c1', state: 'Loaded', time: '2026-12-02T10:00:00Z' }, { name: 'c2', state: 'Loaded', time: '2026-12-02T10:00:00Z' }], count: 2, ok: true, none: null } };
    const before = structuredClone(doc);
    pool.internAll(doc);
    assert.deepEqual(doc, before);
    assert.equal(pool.size, 4, 'c1, c2, Loaded and the timestamp');
    pool.internAll(structuredClone(before));
    assert.equal(pool.size, 4, 'a second document of the same strings adds none');
  });

  it('does not pool strings longer than its limit', () => {
    const pool = new StringPool({ maxLength: 8 });
    assert.equal(pool.intern('x'.repeat(9)), 'x'.repeat(9));
    assert.equal(pool.size, 0);
    pool.intern('short');
    assert.equal(pool.size, 1);
  });

  it('never holds more than its limit: a full pool starts again', () => {
    const pool = new StringPool({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) {
      assert.equal(pool.intern(`s${i}`), `s${i}`);
      assert.ok(pool.size <= 100);
    }
  });

  it('walks a deeply nested document without overflowing the stack', () => {
    const pool = new StringPool();
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = i % 2 ? [deep] : { d: deep };
    pool.internAll(deep);
    assert.equal(pool.size, 1);
  });
});
