// Conflicts: several policies select the same (database, collection). The
// strongest claim wins; within a strength, the highest-ranked policy.
import { DEFAULT_REPLICAS } from '../api/constants.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { ClaimStrength, Desire } from './desire.ts';
import { partitionFingerprint } from './partitions.ts';
import { comparePolicies } from './rank.ts';

export interface Claimant {
  readonly ref: string;
  readonly policy: CollectionLoadPolicy;
  readonly desire: Desire;
}

const STRENGTH: Readonly<Record<ClaimStrength, number>> = { strong: 3, weak: 2, onDelete: 1, none: 0 };

/** Orders claimants best first: stronger claim, then priority, age, namespace/name. */
export function orderClaimants(claimants: readonly Claimant[]): Claimant[] {
  return claimants
    .filter((c) => c.desire.claim !== 'none')
    .sort((a, b) => STRENGTH[b.desire.claim] - STRENGTH[a.desire.claim] || comparePolicies(a.policy, b.policy));
}

/**
 * A deleting policy's release applies only when no live policy selects the
 * collection at all; a weak (outside-window) claim still counts as live, and
 * then simply releases on its own account.
 */
export function winnerOf(claimants: readonly Claimant[]): Claimant | undefined {
  return orderClaimants(claimants)[0];
}

/** Two policies agree when they want the same state, and for Loaded the same load options and partitions. */
export function agrees(a: Claimant, b: Claimant): boolean {
  if (a.desire.effective !== b.desire.effective) return false;
  if (a.desire.effective === 'Released') return samePartitions(a.policy, b.policy);
  return samePartitions(a.policy, b.policy) && loadFingerprint(a.policy) === loadFingerprint(b.policy);
}

function samePartitions(a: CollectionLoadPolicy, b: CollectionLoadPolicy): boolean {
  return partitionFingerprint(a) === partitionFingerprint(b);
}

export function loadFingerprint(p: CollectionLoadPolicy): string {
  const l = p.spec.load;
  return JSON.stringify([l?.replicas ?? DEFAULT_REPLICAS, [...(l?.resourceGroups ?? [])].sort(), [...(l?.fields ?? [])].sort(), l?.skipDynamicField ?? false]);
}
