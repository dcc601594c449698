// The total order that decides conflicts and budget admission:
// higher priority first, then the older policy, then namespace/name.
import { DEFAULT_PRIORITY } from '../api/constants.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';

export function policyRef(p: CollectionLoadPolicy): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
}

export function createdAt(p: { metadata: { creationTimestamp?: string } }): number {
  const t = Date.parse(p.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/** Negative when `a` outranks `b`. */
export function comparePolicies(a: CollectionLoadPolicy, b: CollectionLoadPolicy): number {
  const pa = a.spec.priority ?? DEFAULT_PRIORITY;
  const pb = b.spec.priority ?? DEFAULT_PRIORITY;
  if (pa !== pb) return pb - pa;
  const ta = createdAt(a);
  const tb = createdAt(b);
  if (ta !== tb) return ta - tb;
  const ra = policyRef(a);
  const rb = policyRef(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}
