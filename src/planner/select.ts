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

export function selectCollections(policy: CollectionLoadPolicy, collections: ReadonlyMap<string, ObservedCollection>): Selection {
  const chosen = new Map<string, ObservedCollection>();
  const missing: string[] = [];
  for (const name of policy.spec.selector.names ?? []) {
    const c = collections.get(name);
    if (c) chosen.set(name, c);
    else missing.push(name);
  }
  const globs = (policy.spec.selector.patterns ?? []).map(globMatcher).filter((g): g is Glob => g !== undefined);
  if (globs.length > 0) {
    for (const [name, c] of collections) {
      if (!chosen.has(name) && globs.some((g) => g.test(name))) chosen.set(name, c);
    }
  }
  const present = [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { present, missing: [...new Set(missing)].sort() };
}
