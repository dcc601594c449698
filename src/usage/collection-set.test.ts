import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCollection, collectionCount, emptyCollectionSet, hasCollection, listCollections } from './collection-set.ts';

describe('CollectionSet', () => {
  it('keys by database then collection; a name without a database matches it in every database', () => {
    const s = emptyCollectionSet();
    addCollection(s, 'default', 'a');
    addCollection(s, 'logs', 'a');
    addCollection(s, undefined, 'b');
    assert.equal(hasCollection(s, 'default', 'a'), true);
    assert.equal(hasCollection(s, 'other', 'a'), false);
    assert.equal(hasCollection(s, 'any', 'b'), true);
    assert.equal(collectionCount(s), 3);
    assert.deepEqual(listCollections(s), [
      { database: undefined, collection: 'b' },
      { database: 'default', collection: 'a' },
      { database: 'logs', collection: 'a' },
    ]);
  });
});
