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

/**
 * A recreated policy of the same name starts afresh: its uid is new. The uid
 * is the informer object's own string, so no key is built per policy per pass.
 */
const identity = (p: CollectionLoadPolicy): string => p.metadata.uid ?? `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

/** Shared by every policy with no failed attempt (most of them): 10,000 empty maps were 1.4 MiB. */
const NO_RETRIES: ReadonlyMap<string, RetryState> = new Map();

/** The failed attempts among a policy's entries. */
function retriesOf(entries: NonNullable<PolicyDraft['entries']>): ReadonlyMap<string, RetryState> {
  let retries: Map<string, RetryState> | undefined;
  for (const e of entries) if (e.retry) (retries ??= new Map()).set(e.name, e.retry);
  return retries ?? NO_RETRIES;
}

export class PassMemory {
  private readonly byInstance = new Map<string, Map<string, Remembered>>();

  /** What the last pass of `instance` left for this policy; undefined when there was none. */
  recall(instance: string, policy: CollectionLoadPolicy): Remembered | undefined {
    return this.byInstance.get(instance)?.get(identity(policy));
  }

  /**
   * Records this pass's outcome (final drafts) for the policies it planned;
   * a pass may plan only part of the instance (a cell), so others are kept.
   */
  remember(instance: string, drafts: readonly PolicyDraft[], now: number): void {
    let mine = this.byInstance.get(instance);
    for (const d of drafts) {
      // Not observed this pass: nothing was attempted, keep what we knew.
      if (!d.entries) continue;
      if (!mine) this.byInstance.set(instance, (mine = new Map<string, Remembered>()));
      const id = identity(d.policy);
      const before = mine.get(id);
      const retries = retriesOf(d.entries);
      const transitions = transitionsAfter(d, before?.transitions, now);
      // The steady state (nothing failed, nothing moved) keeps the same record, allocating nothing.
      if (before?.retries !== retries || before.transitions !== transitions) mine.set(id, { retries, transitions });
    }
  }

  /** After a pass over the whole instance: forgets the policies it no longer has. */
  keepOnly(instance: string, policies: readonly CollectionLoadPolicy[]): void {
    const mine = this.byInstance.get(instance);
    if (!mine) return;
    const live = new Set(policies.map(identity));
    for (const id of mine.keys()) if (!live.has(id)) mine.delete(id);
    if (mine.size === 0) this.byInstance.delete(instance);
  }
}
