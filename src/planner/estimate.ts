// Memory estimate of one loaded collection, most trusted source first
// (DESIGN §1): the policy's own figure, then what Milvus measured, then the
// schema arithmetic. docs/budgets.md documents the formula.
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
  const declared = policy.spec.load?.memoryEstimate;
  if (declared !== undefined) {
    const bytes = parseQuantity(declared);
    if (bytes !== undefined && bytes > 0) return { bytes, source: 'Spec' };
  }
  if (observed.loadState === 'Loaded' && observed.measuredBytes !== undefined && observed.measuredBytes > 0) {
    return { bytes: observed.measuredBytes, source: 'Measured' };
  }
  if (observed.loadState !== 'Loaded' && previous?.memorySource === 'Measured' && previous.memoryBytes !== undefined && previous.memoryBytes > 0) {
    return { bytes: previous.memoryBytes, source: 'Measured' };
  }
  if (observed.schemaBytes !== undefined) {
    const replicas = policy.spec.load?.replicas ?? 1;
    return { bytes: observed.schemaBytes * replicas, source: 'Schema' };
  }
  return undefined;
}
