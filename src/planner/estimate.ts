// Memory estimate of one loaded collection, most trusted source first
// (DESIGN §1): the policy's own figure, then what Milvus measured, then the
// schema arithmetic. docs/budgets.md documents the formula.
import { DEFAULT_REPLICAS } from '../api/constants.ts';
import type { CollectionLoadPolicy, CollectionStatus } from '../api/policy.ts';
import { parseQuantity } from '../api/quantity.ts';
import type { ObservedCollection } from './types.ts';

export interface Estimate {
  readonly bytes: number;
  readonly source: 'Spec' | 'Measured' | 'Schema';
}

/**
 * `previous` is the collection's entry in the policy's last status. Milvus
 * reports a measured size only while a collection is loaded, so a collection
 * released because its measured size did not fit would, on the next pass, be
 * judged by its (smaller) schema estimate again, loaded, measured and released:
 * a load/release cycle every resync (found by plan.property.test.ts, "terminates").
 * The last measured size, kept in the status, is used until Milvus measures again.
 */
export function estimateOf(policy: CollectionLoadPolicy, observed: ObservedCollection, previous?: CollectionStatus): Estimate | undefined {
  return declaredEstimate(policy) ?? measuredEstimate(observed, previous) ?? schemaEstimate(policy, observed);
}

function declaredEstimate(policy: CollectionLoadPolicy): Estimate | undefined {
  const declared = policy.spec.load?.memoryEstimate;
  const bytes = declared === undefined ? undefined : parseQuantity(declared);
  return bytes !== undefined && bytes > 0 ? { bytes, source: 'Spec' } : undefined;
}

/** What Milvus measures now, or, while the collection is not loaded, what it measured last (kept in the status). */
function measuredEstimate(observed: ObservedCollection, previous?: CollectionStatus): Estimate | undefined {
  if (observed.loadState === 'Loaded') return positive(observed.measuredBytes);
  return previous?.memorySource === 'Measured' ? positive(previous.memoryBytes) : undefined;
}

function positive(bytes: number | undefined): Estimate | undefined {
  return bytes !== undefined && bytes > 0 ? { bytes, source: 'Measured' } : undefined;
}

function schemaEstimate(policy: CollectionLoadPolicy, observed: ObservedCollection): Estimate | undefined {
  if (observed.schemaBytes === undefined) return undefined;
  return { bytes: observed.schemaBytes * (policy.spec.load?.replicas ?? DEFAULT_REPLICAS), source: 'Schema' };
}
