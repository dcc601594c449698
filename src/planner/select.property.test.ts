// selectCollections narrows each glob to the names that start with its literal
// prefix (binary search in the sorted names): it must select exactly what
// testing every glob against every name selects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { selectCollections, selects } from './select.ts';
import type { ObservedCollection } from './types.ts';

const name = fc.stringMatching(/^[ab_0é]{0,6}$/);
const glob = fc.array(fc.constantFrom('a', 'b', '_', '0', 'é', '*', '?', '[ab]', '[!a]', '[0-9]'), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));

function policyWith(patterns: string[], names: string[]): CollectionLoadPolicy {
  return { spec: { selector: { patterns, names } } } as unknown as CollectionLoadPolicy;
}

describe('selectCollections', () => {
  it('selects what testing every glob against every name selects', () => {
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 40 }), fc.array(glob, { maxLength: 3 }), fc.array(name, { maxLength: 3 }), (present, patterns, named) => {
        const collections = new Map<string, ObservedCollection>(present.map((n) => [n, { name: n, loadState: 'NotLoad', progress: 0 }]));
        const p = policyWith(patterns, named);
        const got = selectCollections(p, collections);
        const want = present.filter((n) => selects(p, n)).sort();
        assert.deepEqual(got.present.map((c) => c.name), want);
        assert.deepEqual(got.missing, [...new Set(named.filter((n) => !collections.has(n)))].sort());
      }),
      { numRuns: 2000 },
    );
  });

  it('a glob with a literal prefix still finds names at both ends of the sorted list', () => {
    const collections = new Map<string, ObservedCollection>(['a', 'b_1', 'b_2', 'b_3', 'c'].map((n) => [n, { name: n, loadState: 'NotLoad', progress: 0 }]));
    assert.deepEqual(selectCollections(policyWith(['b_*'], []), collections).present.map((c) => c.name), ['b_1', 'b_2', 'b_3']);
    assert.deepEqual(selectCollections(policyWith(['a*', 'c'], []), collections).present.map((c) => c.name), ['a', 'c']);
    assert.deepEqual(selectCollections(policyWith(['d*'], []), collections).present, []);
  });
});
