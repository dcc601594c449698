// Memory estimate of one loaded collection, most trusted source first
// (DESIGN §1): the policy's own figure, then what Milvus measured, then the
// schema arithmetic. docs/budgets.md documents the formula.
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { parseQuantity } from '../api/quantity.ts';
import type { ObservedCollection } from './types.ts';

export interface Estimate {
  readonly bytes: number;
  readonly source: 'Spec' | 'Measured' | 'Schema';
}

export function estimateOf(policy: CollectionLoadPolicy, observed: ObservedCollection): Estimate | undefined {
  const declared = policy.spec.load?.memoryEstimate;
  if (declared !== undefined) {
    const bytes = parseQuantity(declared);
    if (bytes !== undefined && bytes > 0) return { bytes, source: 'Spec' };
  }
  if (observed.loadState === 'Loaded' && observed.measuredBytes !== undefined && observed.measuredBytes > 0) {
    return { bytes: observed.measuredBytes, source: 'Measured' };
  }
  if (observed.schemaBytes !== undefined) {
    const replicas = policy.spec.load?.replicas ?? 1;
    return { bytes: observed.schemaBytes * replicas, source: 'Schema' };
  }
  return undefined;
}
