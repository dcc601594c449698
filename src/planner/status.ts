// Renders status from a draft: rebuilt from observation on every pass, with
// lastTransitionTime moved only when a state or condition status flips.
import type { BudgetStatus, CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionState, CollectionStatus, PolicyStatus } from '../api/policy.ts';
import { failedEntry, recordFailure, type Failure } from './retry.ts';
import { iso, isoMillis } from './time.ts';
import { USAGE_REASONS } from './idle.ts';
import type { BudgetDraft, CollectionEntry, PolicyDraft, Transition, UsageNote } from './types.ts';

export const MAX_STATUS_COLLECTIONS = 100;

/** The schema's maxLength of a collection's message (api/policy.ts): a longer one would make the apiserver refuse the whole status. */
const MAX_MESSAGE = 1024;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** Like meta.SetStatusCondition: lastTransitionTime moves only when status flips. */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly Omit<Condition, 'lastTransitionTime'>[], now: string): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  });
}

const SEVERITY: Readonly<Record<CollectionState, number>> = { Failed: 0, NotFound: 1, Conflict: 2, Deferred: 3, Loading: 4, Released: 5, Loaded: 6 };

function byProblemThenName(a: CollectionEntry, b: CollectionEntry): number {
  return SEVERITY[a.state] - SEVERITY[b.state] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

type Summary = NonNullable<PolicyStatus['summary']>;

/** The summary counter each collection state adds to. */
const SUMMARY_FIELD: Readonly<Record<CollectionState, Exclude<keyof Summary, 'matched'>>> = {
  Loaded: 'loaded',
  Loading: 'loading',
  Released: 'released',
  NotFound: 'notFound',
  Failed: 'failed',
  Deferred: 'deferred',
  Conflict: 'conflict',
};

function summarize(entries: readonly CollectionEntry[]): Summary {
  const s: Summary = { matched: entries.length, loaded: 0, loading: 0, released: 0, notFound: 0, failed: 0, deferred: 0, conflict: 0 };
  for (const e of entries) {
    const field = SUMMARY_FIELD[e.state];
    s[field] = (s[field] ?? 0) + 1;
  }
  return s;
}

function first(entries: readonly CollectionEntry[], state: CollectionState): CollectionEntry | undefined {
  return entries.find((e) => e.state === state);
}

function countOf(entries: readonly CollectionEntry[], state: CollectionState): number {
  return entries.filter((e) => e.state === state).length;
}

type Verdict = { status: boolean; reason: string; message: string };

const more = (n: number): string => (n > 1 ? ` (and ${n - 1} more)` : '');

function readiness(draft: PolicyDraft, entries: readonly CollectionEntry[]): Verdict {
  const blocker = draft.blockers[0];
  if (blocker) return { status: false, reason: blocker.reason, message: blocker.message };
  return problemVerdict(entries) ?? progressVerdict(draft, entries);
}

/** Collection problems that make a policy not Ready, worst first (as SEVERITY orders the status). */
const NOT_READY_STATES: readonly CollectionState[] = ['Failed', 'NotFound', 'Conflict', 'Deferred'];

function problemVerdict(entries: readonly CollectionEntry[]): Verdict | undefined {
  for (const state of NOT_READY_STATES) {
    const e = first(entries, state);
    // A conflict's entry reason names the winner's wish; the condition says only that there is one.
    if (e) return { status: false, reason: state === 'Conflict' ? 'Conflict' : e.reason, message: `${e.name}: ${e.message}${more(countOf(entries, state))}` };
  }
  return undefined;
}

/** No collection has a problem: Ready once every collection the policy acts on is where it wants it. */
function progressVerdict(draft: PolicyDraft, entries: readonly CollectionEntry[]): Verdict {
  const loaded = countOf(entries, 'Loaded');
  if (countOf(entries, 'Loading') > 0) return { status: false, reason: 'Loading', message: `${loaded} of ${entries.length} collections loaded` };
  if (entries.length === 0) {
    return { status: false, reason: 'NothingSelected', message: 'no collection matches spec.selector yet; matching collections are picked up when they are created' };
  }
  const mismatch = firstMismatch(draft, entries);
  if (mismatch) {
    const why = draft.frozen ? draft.frozen.message : 'waiting for the next reconcile';
    return { status: false, reason: draft.frozen?.reason ?? 'Pending', message: `${mismatch.name} is ${mismatch.state}, want ${draft.effectiveState}: ${why}` };
  }
  return draft.effectiveState === 'Loaded'
    ? { status: true, reason: 'Loaded', message: `${loaded} of ${entries.length} collections loaded` }
    : { status: true, reason: 'Released', message: `${entries.length} collections released${draft.nextScheduleChange ? ' (outside the schedule windows)' : ''}` };
}

/** The first of the policy's own collections not in its effective state. Released for idleness, or loaded on demand, is as the policy wants. */
function firstMismatch(draft: PolicyDraft, entries: readonly CollectionEntry[]): CollectionEntry | undefined {
  const own = entries.filter((e) => e.reason !== 'HeldByOtherPolicy' && !USAGE_REASONS.has(e.reason));
  return own.find((e) => (draft.effectiveState === 'Loaded' ? e.state !== 'Loaded' : e.state !== 'Released'));
}

/** Whether the policy's Ready condition will be True (for metrics). */
export function isReady(draft: PolicyDraft): boolean {
  return readiness(draft, draft.entries ?? []).status;
}

/** True only while a load is in flight in Milvus; a planned or failed call is not progress. */
function progressing(entries: readonly CollectionEntry[]): Verdict {
  const loading = countOf(entries, 'Loading');
  if (loading > 0) return { status: true, reason: 'Loading', message: `${loading} collection(s) loading` };
  return { status: false, reason: 'Idle', message: 'nothing in flight' };
}

function namesOf(entries: readonly CollectionEntry[]): string {
  const names = entries.slice(0, 5).map((e) => `${e.name} (${e.reason})`);
  return `${names.join(', ')}${entries.length > 5 ? ` and ${entries.length - 5} more` : ''}`;
}

function degraded(draft: PolicyDraft, entries: readonly CollectionEntry[]): Verdict {
  const blocker = draft.blockers.find((b) => b.degraded);
  if (blocker) return { status: true, reason: blocker.reason, message: blocker.message };
  const failed = entries.filter((e) => e.state === 'Failed');
  const head = failed[0];
  if (head) return { status: true, reason: head.reason, message: `${failed.length} collection(s) failed: ${namesOf(failed)}. ${head.name}: ${head.message}` };
  return { status: false, reason: 'AsExpected', message: 'no errors' };
}

/** Needs a person: a terminal Milvus refusal, a named collection or partition that does not exist, a conflict another policy wins. */
const isTerminal = (e: CollectionEntry): boolean => (e.state === 'Failed' && e.retry?.class === 'Terminal') || e.state === 'NotFound' || e.state === 'Conflict';

/**
 * kstatus (sigs.k8s.io/cli-utils): Stalled=True is "Failed" for Flux and
 * `kubectl wait`; it means nothing changes without a person.
 */
function stalled(draft: PolicyDraft, entries: readonly CollectionEntry[]): Verdict {
  const blocker = draft.blockers.find((b) => b.terminal);
  if (blocker) return { status: true, reason: blocker.reason, message: blocker.message };
  const terminal = entries.filter(isTerminal);
  const head = terminal[0];
  if (head) return { status: true, reason: head.reason, message: `${terminal.length} collection(s) wait for a change by a person: ${namesOf(terminal)}. ${head.name}: ${head.message}` };
  return { status: false, reason: 'NotStalled', message: 'nothing waits for a person' };
}

/** kstatus Reconciling=True is "InProgress": loads in flight, or passing failures still being retried. */
function reconciling(draft: PolicyDraft, entries: readonly CollectionEntry[]): Verdict {
  const loading = countOf(entries, 'Loading');
  if (loading > 0) return { status: true, reason: 'Loading', message: `${loading} collection(s) loading` };
  const blocker = draft.blockers[0];
  if (blocker && !blocker.terminal) return { status: true, reason: blocker.reason, message: `retrying: ${blocker.message}` };
  const retrying = entries.filter((e) => e.state === 'Failed' && e.retry?.class === 'Retryable');
  if (retrying.length > 0) return { status: true, reason: 'Retrying', message: `${retrying.length} collection(s) retrying: ${namesOf(retrying)}` };
  return { status: false, reason: 'Reconciled', message: 'nothing left to do' };
}

function usageFields(note: UsageNote | undefined): Pick<CollectionStatus, 'lastUsedTime' | 'usageUnknownReason'> {
  if (!note) return {};
  if ('unknownReason' in note) return { usageUnknownReason: note.unknownReason };
  return note.lastUsedTime === undefined ? {} : { lastUsedTime: iso(note.lastUsedTime) };
}

function entriesToStatus(entries: readonly CollectionEntry[], previous: readonly CollectionStatus[] | undefined, now: string): CollectionStatus[] {
  const prev = new Map((previous ?? []).map((e) => [e.name, e]));
  return [...entries]
    .sort(byProblemThenName)
    .slice(0, MAX_STATUS_COLLECTIONS)
    .map((e) => {
      const p = prev.get(e.name);
      const { retry, usage, ...rest } = e;
      const failure = retry
        ? { lastError: { action: retry.action, reason: retry.reason, message: clip(retry.message, MAX_MESSAGE), class: retry.class, time: iso(retry.at) }, retries: retry.retries, nextAttemptTime: isoMillis(retry.nextAttemptAt) }
        : {};
      return { ...rest, message: clip(e.message, MAX_MESSAGE), ...failure, ...usageFields(usage), lastTransitionTime: p && p.state === e.state && p.lastTransitionTime ? p.lastTransitionTime : now };
    });
}

export function renderPolicyStatus(draft: PolicyDraft, now: number): PolicyStatus {
  const nowIso = iso(now);
  const generation = draft.policy.metadata.generation ?? 0;
  const status: PolicyStatus = { observedGeneration: generation, effectiveState: draft.effectiveState, conditions: policyConditions(draft, generation, nowIso) };
  if (draft.nextScheduleChange !== undefined) status.nextScheduleChange = iso(draft.nextScheduleChange);
  if (draft.refreshedValue !== undefined) status.refreshedValue = draft.refreshedValue;
  if (draft.retriedValue !== undefined) status.retriedValue = draft.retriedValue;
  return { ...status, ...collectionFields(draft, nowIso) };
}

function policyConditions(draft: PolicyDraft, generation: number, nowIso: string): Condition[] {
  const known = draft.entries ?? [];
  const verdicts: [string, Verdict][] = [
    ['Ready', readiness(draft, known)],
    ['Progressing', progressing(known)],
    ['Degraded', degraded(draft, known)],
    ['Reconciling', reconciling(draft, known)],
    ['Stalled', stalled(draft, known)],
  ];
  if (draft.frozen) verdicts.push(['Suspended', { status: true, reason: draft.frozen.reason, message: draft.frozen.message }]);
  if (draft.usageKnown) verdicts.push(['UsageKnown', draft.usageKnown]);
  return mergeConditions(
    draft.policy.status?.conditions,
    verdicts.map(([type, v]) => ({ type, status: v.status ? 'True' : 'False', reason: v.reason, message: v.message, observedGeneration: generation })),
    nowIso,
  );
}

type CollectionFields = Pick<PolicyStatus, 'lastSyncTime' | 'summary' | 'loadedSummary' | 'collections' | 'collectionsOmitted'>;

/** What Milvus showed this pass; when it could not be observed, the last known picture (the conditions say so). */
function collectionFields(draft: PolicyDraft, nowIso: string): CollectionFields {
  const { entries } = draft;
  const previous = draft.policy.status;
  if (!entries) return previous ? lastKnownCollectionFields(previous) : {};
  const summary = summarize(entries);
  return {
    lastSyncTime: nowIso,
    summary,
    loadedSummary: `${summary.loaded ?? 0}/${summary.matched ?? 0}`,
    collections: entriesToStatus(entries, previous?.collections, nowIso),
    ...(entries.length > MAX_STATUS_COLLECTIONS ? { collectionsOmitted: entries.length - MAX_STATUS_COLLECTIONS } : {}),
  };
}

function lastKnownCollectionFields(previous: PolicyStatus): CollectionFields {
  const kept: CollectionFields = {};
  for (const k of ['lastSyncTime', 'summary', 'loadedSummary', 'collections', 'collectionsOmitted'] as const) {
    if (previous[k] !== undefined) Object.assign(kept, { [k]: previous[k] });
  }
  return kept;
}

export function renderBudgetStatus(budget: CollectionLoadBudget, draft: BudgetDraft, now: number): BudgetStatus | undefined {
  const s = draft.status;
  if (!s) return undefined;
  const nowIso = iso(now);
  const generation = budget.metadata.generation ?? 0;
  const { ready, overBudget, ...rest } = s;
  const conditions = mergeConditions(
    budget.status?.conditions,
    [
      { type: 'Ready', status: ready.status ? 'True' : 'False', reason: ready.reason, message: ready.message, observedGeneration: generation },
      {
        type: 'OverBudget',
        status: overBudget ? 'True' : 'False',
        reason: overBudget ? 'CollectionsDeferred' : 'AllAdmitted',
        message: overBudget ? `${s.deferredCount ?? 0} collection(s) wait for room` : 'every collection that should be loaded fits',
        observedGeneration: generation,
      },
    ],
    nowIso,
  );
  return { observedGeneration: generation, ...rest, conditions };
}

/** What the Milvus calls of one pass did to one policy's collections, for `withActionOutcomes`. */
export interface ActionOutcome {
  /** Calls that failed, by collection. */
  readonly failures: ReadonlyMap<string, Failure>;
  /** A refresh (reload) failed: the refresh annotation's value is not recorded as done. */
  readonly refreshFailed: boolean;
  /** Whole collections whose load Milvus had finished by the end of the pass (seen at 100%). */
  readonly completed?: ReadonlySet<string>;
  /** What the person should know about an accepted call, by collection (e.g. a load priority the server ignored). */
  readonly notes?: ReadonlyMap<string, string>;
}

/** A load Milvus finished within the pass, as the next pass will render it (no progress on a Loaded entry), so it is not written twice. */
function loadedNow(e: CollectionEntry): CollectionEntry {
  const { progress: _progress, ...loaded } = e;
  // A corrected drift and a load on use keep their reason: their Events are the ones that matter.
  return e.reason === 'DriftCorrected' || e.reason === 'LoadOnUse' ? { ...loaded, state: 'Loaded' } : { ...loaded, state: 'Loaded', reason: 'Loaded', message: 'loaded' };
}

const noted = (e: CollectionEntry, note: string | undefined): CollectionEntry => (note ? { ...e, message: `${e.message}; ${note}` } : e);

/**
 * Replaces planned entries with what actually happened: a collection whose
 * call failed is Failed, with its retry state counted on and the next
 * attempt due after the backoff (retry.ts); a load Milvus finished within
 * the pass is Loaded at once, so its first status is already the final one
 * (one status write and one Event instead of two each).
 */
const changesNothing = (o: ActionOutcome): boolean => o.failures.size === 0 && !o.refreshFailed && (o.completed?.size ?? 0) === 0 && (o.notes?.size ?? 0) === 0;

export function withActionOutcomes(draft: PolicyDraft, outcome: ActionOutcome, now: number): PolicyDraft {
  if (changesNothing(outcome)) return draft;
  const { failures, refreshFailed } = outcome;
  const completed = outcome.completed ?? new Set<string>();
  const notes = outcome.notes ?? new Map<string, string>();
  const loadedInPass: string[] = [];
  const outcomeOf = (e: CollectionEntry): CollectionEntry => {
    const f = failures.get(e.name);
    if (f) return failedEntry(e, recordFailure(e.retry, f, now, `${draft.ref}/${e.name}`));
    if (e.state !== 'Loading' || !completed.has(e.name)) return noted(e, notes.get(e.name));
    loadedInPass.push(e.name);
    return noted(loadedNow(e), notes.get(e.name));
  };
  const entries = draft.entries?.map(outcomeOf);
  const refreshedValue = refreshFailed ? draft.policy.status?.refreshedValue : draft.refreshedValue;
  const { refreshedValue: _dropped, ...rest } = draft;
  return { ...rest, ...(entries ? { entries } : {}), ...(refreshedValue ? { refreshedValue } : {}), ...(loadedInPass.length > 0 ? { loadedInPass } : {}) };
}

/** The earliest next attempt among a policy's failed collections (the controller requeues then). */
export function nextAttemptOf(draft: PolicyDraft): number | undefined {
  let at: number | undefined;
  for (const e of draft.entries ?? []) if (e.retry && e.state === 'Failed') at = Math.min(at ?? Infinity, e.retry.nextAttemptAt);
  return at;
}

/**
 * Each collection's state and since when, after this pass, for the next
 * pass's `PolicyInput.transitions`: like lastTransitionTime, but for every
 * collection, where the status lists at most MAX_STATUS_COLLECTIONS. Idle
 * release counts from a collection's load, so it must be known for all.
 */
export function transitionsAfter(draft: PolicyDraft, before: ReadonlyMap<string, Transition> | undefined, now: number): ReadonlyMap<string, Transition> {
  if (!draft.entries) return before ?? new Map();
  // Nothing changed (the steady state): the same map again, so a pass over 10,000 policies allocates none.
  if (before && before.size === draft.entries.length && draft.entries.every((e) => unchanged(before.get(e.name), e))) return before;
  const fromStatus = new Map((draft.policy.status?.collections ?? []).map((e) => [e.name, e]));
  const out = new Map<string, Transition>();
  // Collections that changed together (a load of them all) share one object: kept for every
  // policy between passes, 100,000 collections were 100,000 objects where a few did.
  let last: Transition | undefined;
  for (const e of draft.entries) {
    const t = transitionOf(before?.get(e.name) ?? sinceOf(fromStatus.get(e.name)), e, now);
    last = sameTransition(last, t) ? last : t;
    out.set(e.name, last);
  }
  return out;
}

function sameTransition(a: Transition | undefined, b: Transition): a is Transition {
  return a !== undefined && a.since === b.since && unchanged(a, b);
}

function unchanged(prev: Transition | undefined, e: Pick<CollectionEntry, 'state' | 'reason'>): boolean {
  return prev !== undefined && prev.state === e.state && prev.reason === e.reason;
}

/** The entry's transition: the previous one when nothing changed, a new one (since now, unless only the reason changed) otherwise. */
function transitionOf(prev: Transition | undefined, e: CollectionEntry, now: number): Transition {
  if (prev && unchanged(prev, e)) return prev;
  return { state: e.state, reason: e.reason, since: prev && prev.state === e.state ? prev.since : now };
}

function sinceOf(entry: CollectionStatus | undefined): Transition | undefined {
  const since = Date.parse(entry?.lastTransitionTime ?? '');
  return entry && !Number.isNaN(since) ? { state: entry.state, reason: entry.reason ?? '', since } : undefined;
}
