// Which collections a policy selects, given what its database holds.
import { compileGlob, type Glob } from '../api/glob.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { ObservedCollection } from './types.ts';

export interface Selection {
  /** Selected and present in Milvus, sorted by name. */
  readonly present: readonly ObservedCollection[];
  /** Named in `selector.names` but absent, sorted. */
  readonly missing: readonly string[];
}

const globCache = new Map<string, Glob | undefined>();

function globMatcher(glob: string): Glob | undefined {
  if (!globCache.has(glob)) {
    const c = compileGlob(glob);
    globCache.set(glob, c.ok ? c.glob : undefined);
  }
  return globCache.get(glob);
}

/** Whether the policy's selector picks this collection name (globs compiled once and cached). */
export function selects(policy: CollectionLoadPolicy, name: string): boolean {
  if (policy.spec.selector.names?.includes(name)) return true;
  return (policy.spec.selector.patterns ?? []).some((g) => globMatcher(g)?.test(name) ?? false);
}

/** Each observation's names, sorted once: every glob of every policy of the database looks them up. */
const sortedNames = new WeakMap<ReadonlyMap<string, ObservedCollection>, readonly string[]>();

/**
 * The names that start with `prefix`: with 20 globs among 100 policies, testing
 * each glob against every one of 1,000 names was the largest part of planning
 * a database; a glob's literal prefix (`c_01_` of `c_01_*`) narrows that to
 * the names it can match, found by binary search in the sorted names.
 */
function namesStartingWith(collections: ReadonlyMap<string, ObservedCollection>, prefix: string): Iterable<string> {
  if (prefix === '') return collections.keys();
  let names = sortedNames.get(collections);
  if (!names) sortedNames.set(collections, (names = [...collections.keys()].sort()));
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((names[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < names.length && (names[end] as string).startsWith(prefix)) end++;
  return names.slice(lo, end);
}

export function selectCollections(policy: CollectionLoadPolicy, collections: ReadonlyMap<string, ObservedCollection>): Selection {
  const chosen = new Map<string, ObservedCollection>();
  const missing: string[] = [];
  for (const name of policy.spec.selector.names ?? []) {
    const c = collections.get(name);
    if (c) chosen.set(name, c);
    else missing.push(name);
  }
  for (const g of (policy.spec.selector.patterns ?? []).map(globMatcher)) {
    if (!g) continue;
    for (const name of namesStartingWith(collections, g.prefix)) {
      if (!chosen.has(name) && g.test(name)) chosen.set(name, collections.get(name) as ObservedCollection);
    }
  }
  const present = [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { present, missing: [...new Set(missing)].sort() };
}
