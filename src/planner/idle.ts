// Idle release and load on use (issue 18, ADR 0010), for one collection whose
// winning policy has `spec.idle`: the state it should be in given what the
// usage source saw. Pure: usage, the last transition and `now` are inputs.
//
// - Usage unknown: the declared state, always. Nothing is released for
//   idleness, nothing is loaded on use; the status says why.
// - Where the policy wants the collection Loaded, idleness acts only with
//   `overrideLoaded`; where it wants it Released, only with `loadOnUse`.
// - A loaded collection is idle once `releaseAfter` has passed since the
//   latest of its last request, the start of tracking and its load.
// - A collection released for idleness stays released until requests come
//   (with `loadOnUse`) or the policy changes.
import { formatDuration, parseDuration } from '../api/duration.ts';
import type { CollectionLoadPolicy, CollectionStatus, IdleSpec, LoadState } from '../api/policy.ts';
import type { Claimant } from './arbitrate.ts';
import type { Decision } from './decide.ts';
import { iso } from './time.ts';
import type { CollectionEntry, CollectionUsage, ObservedCollection, PolicyDraft, PolicyInput, Transition, UsageInput, UsageNote } from './types.ts';

/** Why the state differs from the declared one: released for idleness, loaded because of requests, kept loaded while used. */
export type UsageCause = 'Idle' | 'LoadOnUse' | 'InUse';

export interface UsageVerdict {
  readonly effective: LoadState;
  readonly cause?: UsageCause;
  readonly note: UsageNote;
  /** When a loaded collection becomes idle if no request comes: the controller looks again then. */
  readonly idleAt?: number;
  /** How long it has been idle, when released for it now. */
  readonly idleForMs?: number;
  readonly lastUsedTime?: number;
}

export interface UsageFacts {
  readonly winner: Claimant;
  readonly usage: CollectionUsage;
  readonly observed: ObservedCollection;
  /** The collection's state in this policy's last pass, and since when. */
  readonly last: Transition | undefined;
  /** The entry's lastUsedTime in the last status (only to keep that field coarse). */
  readonly shownLastUsed: number | undefined;
  /** The policy's spec (or retry annotation) changed since the last pass: a collection released for idleness may load again. */
  readonly specChanged: boolean;
  readonly now: number;
}

export const NO_USAGE_SOURCE: CollectionUsage = {
  state: 'Unknown',
  reason: 'UsageNoSource',
  message: 'no CollectionLoadBudget with spec.usage for this Milvus instance: ask its cluster admin to add a usage source; until then nothing is released for idleness',
};

/** What the usage source knows of `database/collection`. */
export function usageOf(usage: UsageInput | undefined, database: string, collection: string): CollectionUsage {
  if (!usage) return NO_USAGE_SOURCE;
  return usage.collections.get(`${database}/${collection}`) ?? usage.otherwise;
}

/** The last transition: the controller's memory where it has one, else the status entry (after a restart). */
export function lastTransition(input: PolicyInput, name: string, entry: CollectionStatus | undefined): Transition | undefined {
  const remembered = input.transitions?.get(name);
  if (remembered) return remembered;
  if (!entry?.lastTransitionTime) return undefined;
  const since = Date.parse(entry.lastTransitionTime);
  return Number.isNaN(since) ? undefined : { state: entry.state, reason: entry.reason ?? '', since };
}

const releaseAfterMs = (idle: IdleSpec): number => parseDuration(idle.releaseAfter) ?? Number.POSITIVE_INFINITY;

function isLoadedish(o: ObservedCollection): boolean {
  if (o.loadState !== 'NotLoad') return true;
  for (const p of o.partitions?.values() ?? []) if (p.loadState !== 'NotLoad') return true;
  return false;
}

/**
 * lastUsedTime as the status shows it: moved only when it advanced by a tenth
 * of releaseAfter (at least a minute), so a busy collection does not rewrite
 * the status every period. The decision itself uses the exact time.
 */
function coarse(lastUsed: number | undefined, shown: number | undefined, idle: IdleSpec): UsageNote {
  const step = Math.max(60_000, releaseAfterMs(idle) / 10);
  if (lastUsed === undefined) return shown === undefined ? {} : { lastUsedTime: shown };
  if (shown !== undefined && lastUsed >= shown && lastUsed - shown < step) return { lastUsedTime: shown };
  return { lastUsedTime: lastUsed };
}

/** The usage verdict for one collection; undefined where idleness plays no part. */
export function usageVerdict(f: UsageFacts): UsageVerdict | undefined {
  const { winner } = f;
  const idle = winner.policy.spec.idle;
  if (!idle || winner.desire.frozen || (winner.desire.claim !== 'strong' && winner.desire.claim !== 'weak')) return undefined;
  const declared = winner.desire.effective;
  if (f.usage.state === 'Unknown') return { effective: declared, note: { unknownReason: f.usage.reason, unknownMessage: f.usage.message } };
  const known = f.usage;
  const note = coarse(known.lastUsedTime, f.shownLastUsed, idle);
  const base = { note, ...(known.lastUsedTime === undefined ? {} : { lastUsedTime: known.lastUsedTime }) };
  const acts = declared === 'Loaded' ? idle.overrideLoaded === true : idle.loadOnUse === true;
  if (!acts) return { effective: declared, ...base };
  if (isLoadedish(f.observed)) return { ...loadedVerdict(f, known, idle, declared), ...base };
  return { ...releasedVerdict(f, known, idle, declared), ...base };
}

type Known = Extract<CollectionUsage, { state: 'Known' }>;

function loadedVerdict(f: UsageFacts, usage: Known, idle: IdleSpec, declared: LoadState): Omit<UsageVerdict, 'note'> {
  const loadedSince = f.last && (f.last.state === 'Loaded' || f.last.state === 'Loading') ? f.last.since : Number.NEGATIVE_INFINITY;
  const reference = Math.max(usage.lastUsedTime ?? Number.NEGATIVE_INFINITY, usage.trackedSince, loadedSince);
  const idleAt = reference + releaseAfterMs(idle);
  if (f.now >= idleAt) return { effective: 'Released', cause: 'Idle', idleForMs: f.now - reference };
  return { effective: 'Loaded', idleAt, ...(declared === 'Released' ? { cause: 'InUse' as const } : {}) };
}

function releasedVerdict(f: UsageFacts, usage: Known, idle: IdleSpec, declared: LoadState): Omit<UsageVerdict, 'note'> {
  const idleReleased = !f.specChanged && f.last?.state === 'Released' && f.last.reason === 'Idle';
  // Not released for idleness (a drift, a window that just opened, a first pass): the declared state.
  if (declared === 'Loaded' && !idleReleased) return { effective: 'Loaded' };
  if (idle.loadOnUse === true && demanded(f, usage, idle)) return { effective: 'Loaded', cause: 'LoadOnUse' };
  return { effective: 'Released', ...(idleReleased ? { cause: 'Idle' as const } : {}) };
}

/** Requests came after the collection was released, recently enough that it would not count as idle at once. */
function demanded(f: UsageFacts, usage: Known, idle: IdleSpec): boolean {
  const used = usage.lastUsedTime;
  if (used === undefined || f.now - used >= releaseAfterMs(idle)) return false;
  return f.last?.state !== 'Released' || used > f.last.since;
}

/** Rewrites a decision so its entry and action say what idleness did. */
export function withUsage(d: Decision, v: UsageVerdict | undefined, idle: IdleSpec | undefined): Decision {
  if (!v || !idle) return d;
  const wakeAt = v.idleAt === undefined ? d.wakeAt : Math.min(d.wakeAt ?? Number.POSITIVE_INFINITY, v.idleAt);
  const noted: Decision = { ...d, entry: { ...d.entry, usage: v.note }, ...(wakeAt === undefined ? {} : { wakeAt }) };
  if (v.cause === 'Idle') return idleReleased(noted, v, idle);
  if (v.cause === 'LoadOnUse') return loadedOnUse(noted, v);
  if (v.cause === 'InUse' && noted.entry.state === 'Loaded' && noted.entry.reason === 'Loaded') {
    return { ...noted, entry: { ...noted.entry, reason: 'InUse', message: `loaded on demand; released after ${idle.releaseAfter} without requests` } };
  }
  return noted;
}

function idleReleased(d: Decision, v: UsageVerdict, idle: IdleSpec): Decision {
  const { entry, action } = d;
  if (entry.state !== 'Released') return d;
  const message = v.idleForMs !== undefined && action ? `no requests for ${formatDuration(v.idleForMs)} (spec.idle.releaseAfter ${idle.releaseAfter}); released` : idleReleasedText(idle);
  return { ...d, entry: { ...entry, reason: 'Idle', message }, ...(action?.kind === 'release' ? { action: { ...action, reason: 'Idle' } } : {}) };
}

function loadedOnUse(d: Decision, v: UsageVerdict): Decision {
  const { entry, action } = d;
  if (action?.kind !== 'load') return d;
  const seen = v.lastUsedTime === undefined ? 'requests seen' : `requests seen at ${iso(v.lastUsedTime)}`;
  return {
    ...d,
    entry: { ...entry, reason: 'LoadOnUse', message: `${seen}; loading on demand (spec.idle.loadOnUse); requests fail until the load completes` },
    action: { ...action, reason: 'LoadOnUse', priority: action.priority ?? 'High' },
  };
}

function idleReleasedText(idle: IdleSpec): string {
  return idle.loadOnUse
    ? `released for idleness; loaded again on the next request (spec.idle.loadOnUse)`
    : `released for idleness; stays released until the policy changes (spec.idle.loadOnUse is false)`;
}

/** Entry reasons that mean "as the policy wants", though not the declared state. */
export const USAGE_REASONS: ReadonlySet<string> = new Set(['Idle', 'InUse', 'LoadOnUse']);

/** The UsageKnown condition of a policy with `spec.idle`: can the operator see its collections' requests? */
export function usageCondition(policy: CollectionLoadPolicy, entries: readonly CollectionEntry[] | undefined, usage: UsageInput | undefined): PolicyDraft['usageKnown'] {
  if (!policy.spec.idle) return undefined;
  const unknown = (entries ?? []).flatMap((e) => (e.usage && 'unknownReason' in e.usage ? [e.usage] : []));
  const head = unknown[0];
  if (head) {
    const of = entries && unknown.length < entries.length ? `${unknown.length} of ${entries.length} collections: ` : '';
    return { status: false, reason: head.unknownReason, message: `${of}${head.unknownMessage}` };
  }
  const fallback = usage ? usage.otherwise : NO_USAGE_SOURCE;
  if (entries === undefined && fallback.state === 'Unknown') return { status: false, reason: fallback.reason, message: fallback.message };
  return { status: true, reason: 'UsageSeen', message: 'the usage source sees requests for the selected collections; idle ones are released after spec.idle.releaseAfter' };
}
