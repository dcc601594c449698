// The controller's memory of failed collections from the last pass of each
// instance, so the error policy does not depend on the informer having seen
// our own status write, nor on the status list's cap of 100 collections.
// After a restart it is empty and the planner reads the same state back
// from each policy's status (retry.ts retryStateOf).
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { RetryState } from '../planner/retry.ts';
import type { PolicyDraft } from '../planner/types.ts';

type Memory = ReadonlyMap<string, RetryState>;

/** A recreated policy of the same name starts afresh. */
const identity = (p: CollectionLoadPolicy): string => `${p.metadata.namespace ?? ''}/${p.metadata.name}#${p.metadata.uid ?? ''}`;

export class RetryBook {
  private readonly byInstance = new Map<string, Map<string, Memory>>();

  /** What the last pass of `instance` left for this policy; undefined when there was none. */
  recall(instance: string, policy: CollectionLoadPolicy): Memory | undefined {
    return this.byInstance.get(instance)?.get(identity(policy));
  }

  /** Replaces the instance's memory with this pass's outcome; policies no longer there are forgotten. */
  remember(instance: string, drafts: readonly PolicyDraft[]): void {
    const before = this.byInstance.get(instance);
    const next = new Map<string, Memory>();
    for (const d of drafts) {
      const id = identity(d.policy);
      if (!d.entries) {
        // Not observed this pass: nothing was attempted, keep what we knew.
        const kept = before?.get(id);
        if (kept) next.set(id, kept);
        continue;
      }
      const m = new Map<string, RetryState>();
      for (const e of d.entries) if (e.retry) m.set(e.name, e.retry);
      next.set(id, m);
    }
    if (next.size > 0) this.byInstance.set(instance, next);
    else this.byInstance.delete(instance);
  }
}
