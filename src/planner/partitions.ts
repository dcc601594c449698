// Which partitions of a collection a policy acts on: a fixed list
// (`spec.partitions`), or a rolling window (`spec.partitionSelector`): the
// newest `keepNewest` partitions matching its globs are kept loaded, the
// older matching ones released, the rest never touched.
import { compileGlob, type Glob } from '../api/glob.ts';
import type { CollectionLoadPolicy, PartitionSelectorSpec } from '../api/policy.ts';
import type { ObservedPartition } from './types.ts';

export interface PartitionPlan {
  /** Partitions to keep loaded while the policy wants the collection Loaded (for a window: newest first). */
  readonly keep: readonly string[];
  /** Matching partitions outside the window: released. Always empty for a fixed list. */
  readonly drop: readonly string[];
  /** Listed in `spec.partitions` but absent in Milvus. */
  readonly missing: readonly string[];
}

/** Whether the policy acts on partitions rather than whole collections (the controller must then list partitions). */
export function actsOnPartitions(policy: CollectionLoadPolicy): boolean {
  return (policy.spec.partitions?.length ?? 0) > 0 || policy.spec.partitionSelector !== undefined;
}

/** A fingerprint of what a policy does with partitions, for "do two policies agree". */
export function partitionFingerprint(policy: CollectionLoadPolicy): string {
  const s = policy.spec.partitionSelector;
  if (s) return JSON.stringify(['window', [...s.patterns].sort(), s.keepNewest, s.orderBy ?? 'Name']);
  return [...(policy.spec.partitions ?? [])].sort().join(',');
}

export function partitionPlanOf(policy: CollectionLoadPolicy, parts: ReadonlyMap<string, ObservedPartition>): PartitionPlan {
  const selector = policy.spec.partitionSelector;
  if (selector) return windowOf(selector, parts);
  const wanted = policy.spec.partitions ?? [];
  return { keep: wanted.filter((p) => parts.has(p)), drop: [], missing: wanted.filter((p) => !parts.has(p)) };
}

const globCache = new Map<string, Glob | undefined>();

function globOf(pattern: string): Glob | undefined {
  if (!globCache.has(pattern)) {
    const c = compileGlob(pattern);
    globCache.set(pattern, c.ok ? c.glob : undefined);
  }
  return globCache.get(pattern);
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function windowOf(selector: PartitionSelectorSpec, parts: ReadonlyMap<string, ObservedPartition>): PartitionPlan {
  const globs = selector.patterns.map(globOf).filter((g): g is Glob => g !== undefined);
  const matching = [...parts.keys()].filter((name) => globs.some((g) => g.test(name)));
  const newestFirst =
    selector.orderBy === 'CreationTime'
      ? matching.sort((a, b) => (parts.get(b)?.createdAt ?? 0) - (parts.get(a)?.createdAt ?? 0) || byName(b, a))
      : matching.sort((a, b) => byName(b, a));
  return { keep: newestFirst.slice(0, selector.keepNewest), drop: newestFirst.slice(selector.keepNewest), missing: [] };
}
