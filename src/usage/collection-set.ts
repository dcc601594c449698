// Building and querying CollectionSet (types.ts): nested maps keyed by
// database, then collection, never joined string keys.
import type { CollectionSet } from './types.ts';

export interface MutableCollectionSet extends CollectionSet {
  readonly byDatabase: Map<string, Set<string>>;
  readonly anyDatabase: Set<string>;
}

export function emptyCollectionSet(): MutableCollectionSet {
  return { byDatabase: new Map(), anyDatabase: new Set() };
}

/** Adds a collection; `database` undefined (no database label on the series) means every database. */
export function addCollection(set: MutableCollectionSet, database: string | undefined, collection: string): void {
  if (database === undefined) {
    set.anyDatabase.add(collection);
    return;
  }
  let names = set.byDatabase.get(database);
  if (names === undefined) {
    names = new Set();
    set.byDatabase.set(database, names);
  }
  names.add(collection);
}

export function hasCollection(set: CollectionSet, database: string, collection: string): boolean {
  return set.anyDatabase.has(collection) || set.byDatabase.get(database)?.has(collection) === true;
}

export function collectionCount(set: CollectionSet): number {
  let n = set.anyDatabase.size;
  for (const names of set.byDatabase.values()) n += names.size;
  return n;
}

/** Every entry, `database` undefined for those without one; sorted, for messages and tests. */
export function listCollections(set: CollectionSet): { database: string | undefined; collection: string }[] {
  const out: { database: string | undefined; collection: string }[] = [...set.anyDatabase].map((collection) => ({ database: undefined, collection }));
  for (const [database, names] of set.byDatabase) for (const collection of names) out.push({ database, collection });
  return out.sort((a, b) => (a.database ?? '').localeCompare(b.database ?? '') || a.collection.localeCompare(b.collection));
}
