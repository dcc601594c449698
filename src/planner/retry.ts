// The error policy, per collection (DESIGN §2): what a failed Milvus call
// means for the next attempt. Pure, like the rest of the planner; the state
// lives in each collection's status entry (and in the controller's memory of
// the last pass), so a restarted operator backs off where it left off.
//
// - Terminal failures (Milvus refused and will refuse again: no index, no
//   privilege, bad request) are not sent again until something can have
//   changed: the policy's generation, a new `milvusload.io/retry` value, or a
//   slow recheck (1 min doubling to 30 min), so a fixed index is noticed
//   without a touch. Elasticsearch ILM parks such a step in ERROR until
//   `_ilm/retry`; this is the same, with a slow recheck.
// - Retryable failures (out of memory, unavailable, timeouts) back off per
//   collection, 2 s doubling to 5 min, with jitter, independent of every
//   other collection and policy.
import { RETRY_ANNOTATION } from '../api/constants.ts';
import type { CollectionLoadPolicy, CollectionStatus, FailureClass } from '../api/policy.ts';
import type { Decision } from './decide.ts';
import { iso } from './time.ts';
import type { CollectionEntry, MilvusAction } from './types.ts';

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const TERMINAL_BACKOFF: Backoff = { firstMs: 60_000, maxMs: 30 * 60_000 };
export const RETRYABLE_BACKOFF: Backoff = { firstMs: 2_000, maxMs: 5 * 60_000 };

/** A failure to record: what failed, how, and why. */
export interface Failure {
  readonly action: 'Load' | 'Release';
  readonly reason: string;
  readonly message: string;
  readonly class: FailureClass;
}

/** Where a collection stands after failures; absent once it is as wanted. */
export interface RetryState extends Failure {
  /** When the last call failed (epoch ms). */
  readonly at: number;
  /** Consecutive failed attempts. */
  readonly retries: number;
  /** Not before this instant (epoch ms), unless something changed. */
  readonly nextAttemptAt: number;
}

/**
 * FNV-1a with murmur3's final mix: a stable spread of jitter per collection
 * and per attempt, with no randomness (STYLE §1). Without the final mix,
 * seeds that differ only in the attempt number gave nearly the same value.
 */
function hash01(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

/**
 * The delay before attempt `retries + 1`: exponential from the class's first
 * step to its cap, ±20 % jitter (seeded by the collection, so collections that
 * failed together do not retry together, and the same input plans the same).
 */
export function backoffMs(cls: FailureClass, retries: number, seed: string): number {
  const b = cls === 'Terminal' ? TERMINAL_BACKOFF : RETRYABLE_BACKOFF;
  const exp = Math.min(b.maxMs, b.firstMs * 2 ** Math.max(0, Math.min(30, retries - 1)));
  const jitter = 0.8 + 0.4 * hash01(`${seed}#${retries}`);
  return Math.round(Math.min(b.maxMs, exp * jitter));
}

/** The state after one more failure. */
export function recordFailure(previous: RetryState | undefined, failure: Failure, now: number, seed: string): RetryState {
  const retries = (previous?.retries ?? 0) + 1;
  return { ...failure, at: now, retries, nextAttemptAt: now + backoffMs(failure.class, retries, seed) };
}

/** Something changed that may make a failed call succeed: try at once. */
export function retryReset(policy: CollectionLoadPolicy): boolean {
  const generationChanged = policy.status?.observedGeneration !== undefined && policy.metadata.generation !== policy.status.observedGeneration;
  return generationChanged || retryRequested(policy) !== undefined;
}

/** The `milvusload.io/retry` value to act on, when it is new. */
export function retryRequested(policy: CollectionLoadPolicy): string | undefined {
  const value = policy.metadata.annotations?.[RETRY_ANNOTATION];
  if (value === undefined || value === '') return undefined;
  return value === policy.status?.retriedValue ? undefined : value;
}

/** Reads the retry state back from a status entry (after a restart, or when the controller has no memory of the policy). */
export function retryStateOf(entry: CollectionStatus | undefined): RetryState | undefined {
  const e = entry?.lastError;
  if (!entry || !e || entry.retries === undefined || entry.retries === 0) return undefined;
  const at = Date.parse(e.time ?? '');
  const next = Date.parse(entry.nextAttemptTime ?? '');
  return {
    action: e.action,
    reason: e.reason,
    message: e.message ?? '',
    class: e.class,
    at: Number.isNaN(at) ? 0 : at,
    retries: entry.retries,
    nextAttemptAt: Number.isNaN(next) ? 0 : next,
  };
}

/** Whether an action of this kind must wait for the backoff. */
export function mustWait(state: RetryState | undefined, kind: 'load' | 'release', now: number): state is RetryState {
  return state !== undefined && state.nextAttemptAt > now && state.action === (kind === 'load' ? 'Load' : 'Release');
}


export function nextAttemptText(state: RetryState): string {
  return state.class === 'Terminal'
    ? `not retried until the policy changes or annotation ${RETRY_ANNOTATION} gets a new value; next check at ${iso(state.nextAttemptAt)}`
    : `attempt ${state.retries + 1} at ${iso(state.nextAttemptAt)}`;
}

/** The decision for one collection as the error policy shapes it (see the file's head). */
export interface Shaped {
  readonly entry: CollectionEntry;
  readonly action?: MilvusAction;
  readonly wakeAt?: number;
}

/**
 * Applies the error policy to one decision:
 * - a failure Milvus showed by itself (a load it gave up) is recorded;
 * - an action whose backoff has not run out is held, and the entry says
 *   what failed and when the next attempt is;
 * - otherwise the state rides along with entries still on the way (a load
 *   sent, or in flight), so the next failure counts on from it; it is dropped
 *   once the collection is as wanted.
 */
export function shapeByRetry(decision: Decision, prior: RetryState | undefined, now: number, seed: string): Shaped {
  const { entry, action } = decision;
  if (decision.failure) {
    const retry = recordFailure(prior, decision.failure, now, seed);
    return { entry: failedEntry(entry, retry), wakeAt: retry.nextAttemptAt };
  }
  if (action && mustWait(prior, action.kind, now)) {
    return { entry: failedEntry(entry, prior), wakeAt: prior.nextAttemptAt };
  }
  const carries = prior !== undefined && (action !== undefined ? prior.action === (action.kind === 'load' ? 'Load' : 'Release') : entry.state === 'Loading' && prior.action === 'Load');
  return { entry: carries ? { ...entry, retry: prior } : entry, ...(action ? { action } : {}), ...(decision.wakeAt !== undefined ? { wakeAt: decision.wakeAt } : {}) };
}

/** The entry of a collection whose last attempt failed. */
export function failedEntry(entry: CollectionEntry, retry: RetryState): CollectionEntry {
  const { progress: _progress, ...rest } = entry;
  const reason = retry.action === 'Release' ? `Release${retry.reason}` : retry.reason;
  return { ...rest, state: 'Failed', reason, message: `${retry.message}; ${nextAttemptText(retry)}`, retry };
}
