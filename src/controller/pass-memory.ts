// The controller's memory of each policy's collections from the last pass of
// each instance: failed attempts (the error policy) and every collection's
// state and since when (idle release counts from a load). Kept here so
// neither depends on the informer having seen our own status write, nor on
// the status list's cap of 100 collections. After a restart it is empty and
// the planner reads the same state back from each policy's status.
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { RetryState } from '../planner/retry.ts';
import { transitionsAfter } from '../planner/status.ts';
import type { PolicyDraft, Transition } from '../planner/types.ts';

export interface Remembered {
  readonly retries: ReadonlyMap<string, RetryState>;
  readonly transitions: ReadonlyMap<string, Transition>;
}

/** A recreated policy of the same name starts afresh. */
const identity = (p: CollectionLoadPolicy): string => `${p.metadata.namespace ?? ''}/${p.metadata.name}#${p.metadata.uid ?? ''}`;

export class PassMemory {
  private readonly byInstance = new Map<string, Map<string, Remembered>>();

  /** What the last pass of `instance` left for this policy; undefined when there was none. */
  recall(instance: string, policy: CollectionLoadPolicy): Remembered | undefined {
    return this.byInstance.get(instance)?.get(identity(policy));
  }

  /** Replaces the instance's memory with this pass's outcome (final drafts); policies no longer there are forgotten. */
  remember(instance: string, drafts: readonly PolicyDraft[], now: number): void {
    const before = this.byInstance.get(instance);
    const next = new Map<string, Remembered>();
    for (const d of drafts) {
      const id = identity(d.policy);
      const kept = before?.get(id);
      if (!d.entries) {
        // Not observed this pass: nothing was attempted, keep what we knew.
        if (kept) next.set(id, kept);
        continue;
      }
      const retries = new Map<string, RetryState>();
      for (const e of d.entries) if (e.retry) retries.set(e.name, e.retry);
      next.set(id, { retries, transitions: transitionsAfter(d, kept?.transitions, now) });
    }
    if (next.size > 0) this.byInstance.set(instance, next);
    else this.byInstance.delete(instance);
  }
}
