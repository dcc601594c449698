// plan(policies, budgets, observed, now) -> actions + status drafts, for one
// Milvus instance. Pure: the same input always gives the same plan, whatever
// the order of the input lists.
import { DEFAULT_DATABASE, DEFAULT_PRIORITY, RELEASE_FINALIZER } from '../api/constants.ts';
import type { CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionStatus } from '../api/policy.ts';
import { formatBytes } from '../api/quantity.ts';
import { admit, effectiveBudget, type Admission, type BudgetCandidate } from './admission.ts';
import { agrees, orderClaimants, type Claimant } from './arbitrate.ts';
import { decide, observedEntry, refreshRequested, type Decision } from './decide.ts';
import { desireOf, type Desire } from './desire.ts';
import { estimateOf } from './estimate.ts';
import { actsOnPartitions, partitionPlanOf } from './partitions.ts';
import { lastTransition, usageCondition, usageOf, usageVerdict, withUsage, type UsageVerdict } from './idle.ts';
import { policyRef } from './rank.ts';
import { retryReset, retryRequested, retryStateOf, shapeByRetry, type RetryState } from './retry.ts';
import { selectCollections, type Selection } from './select.ts';
import type { Action, Blocker, BudgetDraft, CollectionEntry, ObservedCollection, ObservedDatabase, PlanInput, Plan, PolicyDraft, PolicyInput, ObservationKey } from './types.ts';

/** How long a policy being deleted waits for an unreachable Milvus before its finalizer is dropped (ADR 0005). */
export const DEFAULT_DELETION_GRACE_MS = 10 * 60_000;

interface PolicyContext {
  readonly input: PolicyInput;
  readonly claimant: Claimant;
  readonly database: string;
  readonly selection?: Selection;
  readonly blockers: readonly Blocker[];
  /** The spec or the retry annotation changed since the last pass: failed collections are tried at once. */
  readonly retryNow: boolean;
}

interface CollectionSlot {
  readonly key: string;
  readonly database: string;
  readonly observationKey: ObservationKey;
  readonly observed: ObservedCollection;
  readonly claimants: Claimant[];
}

const keyOf = (database: string, collection: string): string => `${database}/${collection}`;

export function plan(input: PlanInput, settings: { deletionGraceMs?: number } = {}): Plan {
  const contexts = [...input.policies].sort((a, b) => (policyRef(a.policy) < policyRef(b.policy) ? -1 : 1)).map((p) => contextOf(p, input));
  const slots = collectSlots(contexts);
  const verdicts = usageVerdicts(contexts, slots, input);
  const budget = effectiveBudget(input.budgets);
  const admission = budget ? admitSlots(budget, slots, verdicts) : undefined;

  const { decisions, actions, owed, wakeAt: decidedWake } = decideSlots(contexts, slots, { admission, verdicts }, input.now);
  let wakeAt = decidedWake;

  const actionsPerPolicy = new Map<string, number>();
  for (const a of actions) if (a.kind === 'load' || a.kind === 'release') actionsPerPolicy.set(a.policy, (actionsPerPolicy.get(a.policy) ?? 0) + 1);
  const policies = contexts.map((ctx) => withUsageCondition(draftFor(ctx, slots, decisions, actionsPerPolicy.get(ctx.claimant.ref) ?? 0), input));
  for (const ctx of contexts) {
    const next = ctx.claimant.desire.nextChange;
    if (next !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, next);
    actions.push(...finalizerActions(ctx, actions, owed, input.now, settings.deletionGraceMs ?? DEFAULT_DELETION_GRACE_MS));
  }
  const fullyObserved = contexts.every((c) => c.selection !== undefined || c.blockers.every((b) => b.reason === 'InvalidSpec'));
  return {
    actions,
    policies,
    budgets: budgetDrafts(input.budgets, budget, admission, fullyObserved),
    loading: [...decisions.values()].some((d) => d.entry.state === 'Loading' && !d.action),
    ...(wakeAt === undefined ? {} : { wakeAt }),
  };
}

interface Decided {
  readonly decisions: Map<string, Decision>;
  readonly actions: Action[];
  /** Policies with a release held back by its backoff: still owed, so their finalizer must stay. */
  readonly owed: Set<string>;
  readonly wakeAt: number | undefined;
}

/** Per slot, what idleness makes of its winner's wish (idle.ts, ADR 0010). */
function usageVerdicts(contexts: readonly PolicyContext[], slots: ReadonlyMap<string, CollectionSlot>, input: PlanInput): Map<string, UsageVerdict> {
  const byRef = new Map(contexts.map((c) => [c.claimant.ref, c]));
  const out = new Map<string, UsageVerdict>();
  for (const slot of slots.values()) {
    const winner = orderClaimants(slot.claimants)[0];
    const ctx = winner?.policy.spec.idle ? byRef.get(winner.ref) : undefined;
    if (!winner || !ctx) continue;
    const name = slot.observed.name;
    const previous = previousEntry(winner, name);
    const shown = Date.parse(previous?.lastUsedTime ?? '');
    const usage = usageOf(input.usage, slot.database, name);
    const last = lastTransition(ctx.input, name, previous);
    const v = usageVerdict({ winner, usage, observed: slot.observed, last, shownLastUsed: Number.isNaN(shown) ? undefined : shown, specChanged: ctx.retryNow, now: input.now });
    if (v) out.set(slot.key, v);
  }
  return out;
}

/** The winner as it acts on one collection: its wish after idleness. */
function acting(winner: Claimant, verdict: UsageVerdict | undefined): Claimant {
  return verdict && verdict.effective !== winner.desire.effective ? { ...winner, desire: { ...winner.desire, effective: verdict.effective } } : winner;
}

function withUsageCondition(draft: PolicyDraft, input: PlanInput): PolicyDraft {
  const usageKnown = usageCondition(draft.policy, draft.entries, input.usage);
  return usageKnown ? { ...draft, usageKnown } : draft;
}

type Rulings = { readonly admission: Admission | undefined; readonly verdicts: ReadonlyMap<string, UsageVerdict> };

/** One decision per collection, by its winner, shaped by the error policy. */
function decideSlots(contexts: readonly PolicyContext[], slots: ReadonlyMap<string, CollectionSlot>, by: Rulings, now: number): Decided {
  const out: Decided = { decisions: new Map(), actions: [], owed: new Set(), wakeAt: undefined };
  let wakeAt: number | undefined;
  const byRef = new Map(contexts.map((c) => [c.claimant.ref, c]));
  for (const slot of slots.values()) {
    const winner = orderClaimants(slot.claimants)[0];
    const ctx = winner ? byRef.get(winner.ref) : undefined;
    if (!winner || !ctx) continue;
    const { decided, decision } = decideSlot(slot, winner, ctx, by, now);
    out.decisions.set(slot.key, decision);
    if (decided.action?.kind === 'release' && !decision.action) out.owed.add(winner.ref);
    if (decision.action) out.actions.push(decision.action);
    if (decision.wakeAt !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, decision.wakeAt);
  }
  return { ...out, wakeAt };
}

/** The decision as ruled (`decided`) and as the error policy lets it act (`decision`). */
function decideSlot(slot: CollectionSlot, winner: Claimant, ctx: PolicyContext, by: Rulings, now: number): { decided: Decision; decision: Decision } {
  const name = slot.observed.name;
  const previous = previousEntry(winner, name);
  const verdict = by.verdicts.get(slot.key);
  const ruled = decide({
    winner: acting(winner, verdict),
    observed: slot.observed,
    observationKey: slot.observationKey,
    database: slot.database,
    estimate: estimateOf(winner.policy, slot.observed, previous),
    deferral: by.admission?.deferred.get(slot.key),
    previous,
    now,
  });
  const decided = withUsage(ruled, verdict, winner.policy.spec.idle);
  const shaped = shapeByRetry(decided, ctx.retryNow ? undefined : priorRetry(ctx.input, name), now, `${winner.ref}/${name}`);
  // A held action is no action: build the decision from the shaped one only.
  return { decided, decision: { ...shaped, ...(decided.refreshing && shaped.action ? { refreshing: true } : {}) } };
}

function contextOf(input: PolicyInput, plan: PlanInput): PolicyContext {
  const { policy } = input;
  const desire = desireOf(input, plan.now);
  const claimant: Claimant = { ref: policyRef(policy), policy, desire };
  const database = policy.spec.milvus.database ?? DEFAULT_DATABASE;
  const observed = plan.observed.get(input.observationKey);
  const blockers = blockersOf(input, desire, observed, database);
  const selection = blockers.length === 0 && observed?.ok ? selectCollections(policy, observed.collections) : undefined;
  return { input, claimant, database, blockers, retryNow: retryReset(policy), ...(selection ? { selection } : {}) };
}

/** What keeps a policy from acting: its own spec first, then its connection, then the observation of its database. */
function blockersOf(input: PolicyInput, desire: Desire, observed: ObservedDatabase | undefined, database: string): Blocker[] {
  const invalid = [...(input.problems.length > 0 ? [input.problems.join('; ')] : []), ...(desire.scheduleError ? [desire.scheduleError] : [])];
  const blockers: Blocker[] = invalid.map((message) => ({ reason: 'InvalidSpec', message, degraded: true, terminal: true }));
  if (input.connectionFailure) blockers.push(blockerOf(input.connectionFailure));
  if (blockers.length > 0) return blockers;
  if (!observed) return [{ reason: 'NotObserved', message: `database ${database} was not observed in this pass; it will be on the next`, degraded: false, terminal: false }];
  return observed.ok ? [] : [blockerOf(observed)];
}

function blockerOf(f: { reason: string; message: string; class?: 'Terminal' | 'Retryable' }): Blocker {
  return { reason: f.reason, message: f.message, degraded: true, terminal: f.class === 'Terminal' };
}

/** The controller's memory of the last pass where it has one, else the status (after a restart). */
function priorRetry(input: PolicyInput, name: string): RetryState | undefined {
  if (input.retries) return input.retries.get(name);
  return retryStateOf(input.policy.status?.collections?.find((e) => e.name === name));
}

function collectSlots(contexts: readonly PolicyContext[]): Map<string, CollectionSlot> {
  const slots = new Map<string, CollectionSlot>();
  for (const ctx of contexts) {
    for (const c of ctx.selection?.present ?? []) {
      const key = keyOf(ctx.database, c.name);
      let slot = slots.get(key);
      if (!slot) {
        slot = { key, database: ctx.database, observationKey: ctx.input.observationKey, observed: c, claimants: [] };
        slots.set(key, slot);
      }
      slot.claimants.push(ctx.claimant);
    }
  }
  return slots;
}

function admitSlots(budget: CollectionLoadBudget, slots: ReadonlyMap<string, CollectionSlot>, verdicts: ReadonlyMap<string, UsageVerdict>): Admission {
  const candidates: BudgetCandidate[] = [];
  for (const slot of slots.values()) {
    const best = orderClaimants(slot.claimants)[0];
    const verdict = verdicts.get(slot.key);
    const winner = best ? acting(best, verdict) : undefined;
    // Idle-released collections are not candidates: their memory is free. A weak claim loads only on use.
    const claims = winner?.desire.claim === 'strong' || (winner?.desire.claim === 'weak' && verdict !== undefined);
    if (!winner || winner.desire.effective !== 'Loaded' || !claims) continue;
    const incumbent = isIncumbent(winner, slot.observed);
    candidates.push({
      key: slot.key,
      database: slot.database,
      collection: slot.observed.name,
      winner,
      estimate: estimateOf(winner.policy, slot.observed, previousEntry(winner, slot.observed.name)),
      incumbent,
      frozen: winner.desire.frozen !== undefined,
    });
  }
  return admit(budget, candidates);
}

function isIncumbent(winner: Claimant, o: ObservedCollection): boolean {
  const parts = o.partitions;
  if (actsOnPartitions(winner.policy) && parts) return partitionPlanOf(winner.policy, parts).keep.some((p) => (parts.get(p)?.loadState ?? 'NotLoad') !== 'NotLoad');
  return o.loadState !== 'NotLoad';
}

function previousEntry(c: Claimant, name: string): CollectionStatus | undefined {
  return c.policy.status?.collections?.find((e) => e.name === name);
}

function loserEntry(self: Claimant, winner: Claimant, winnerEntry: CollectionEntry, o: ObservedCollection): CollectionEntry {
  if (self.desire.claim === 'weak') {
    return observedEntry(o, 'HeldByOtherPolicy', `outside this policy's schedule windows; policy ${winner.ref} decides this collection now`);
  }
  if (self.desire.claim === 'onDelete' || self.desire.claim === 'none') {
    return observedEntry(o, 'HeldByOtherPolicy', `policy ${winner.ref} still wants this collection ${winner.desire.effective.toLowerCase()}; left as it is`);
  }
  if (agrees(self, winner)) return { ...winnerEntry, message: `${winnerEntry.message} (shared with policy ${winner.ref})` };
  return {
    name: o.name,
    state: 'Conflict',
    reason: 'Conflict',
    message: `policy ${winner.ref} (priority ${winner.policy.spec.priority ?? DEFAULT_PRIORITY}) also selects this collection and wins: it wants ${winner.desire.effective}${
      winner.desire.effective === 'Loaded' && self.desire.effective === 'Loaded' ? ' with other load options or partitions' : ''
    }; raise this policy's priority or narrow one of the selectors`,
  };
}

function draftFor(ctx: PolicyContext, slots: ReadonlyMap<string, CollectionSlot>, decisions: ReadonlyMap<string, Decision>, actionCount: number): PolicyDraft {
  const { desire } = ctx.claimant;
  const base = {
    ref: ctx.claimant.ref,
    policy: ctx.input.policy,
    effectiveState: desire.effective,
    blockers: ctx.blockers,
    actionCount,
    ...(desire.nextChange === undefined ? {} : { nextScheduleChange: desire.nextChange }),
    ...(desire.frozen ? { frozen: desire.frozen } : {}),
  };
  if (!ctx.selection) {
    // Milvus was not seen: nothing was acted on, so no refresh or retry request is used up.
    const { refreshedValue, retriedValue } = ctx.input.policy.status ?? {};
    return { ...base, ...(refreshedValue ? { refreshedValue } : {}), ...(retriedValue ? { retriedValue } : {}) };
  }
  const { entries, refreshed } = presentEntries(ctx, ctx.selection, slots, decisions);
  for (const name of ctx.selection.missing) {
    entries.push({ name, state: 'NotFound', reason: 'CollectionNotFound', message: `no collection ${name} in database ${ctx.database}; create it or fix spec.selector.names` });
  }
  return { ...base, entries, ...requestsActedOn(ctx, entries, refreshed) };
}

/** The policy's entry for each selected collection that exists: its own decision where it won, a loser's entry where not. */
function presentEntries(ctx: PolicyContext, selection: Selection, slots: ReadonlyMap<string, CollectionSlot>, decisions: ReadonlyMap<string, Decision>): { entries: CollectionEntry[]; refreshed: boolean } {
  const entries: CollectionEntry[] = [];
  let refreshed = false;
  for (const c of selection.present) {
    const key = keyOf(ctx.database, c.name);
    const slot = slots.get(key);
    const winner = slot ? orderClaimants(slot.claimants)[0] : undefined;
    const decision = decisions.get(key);
    if (!slot || !winner || !decision) continue;
    if (winner.ref === ctx.claimant.ref) {
      entries.push(decision.entry);
      refreshed ||= decision.refreshing === true;
    } else entries.push(loserEntry(ctx.claimant, winner, decision.entry, slot.observed));
  }
  return { entries, refreshed };
}

/** The refresh and retry annotation values this pass acted on (recorded so each value acts once). */
function requestsActedOn(ctx: PolicyContext, entries: readonly CollectionEntry[], refreshed: boolean): { refreshedValue?: string; retriedValue?: string } {
  const status = ctx.input.policy.status;
  const requested = refreshRequested({ winner: ctx.claimant });
  const refreshedValue = refreshed || (requested !== undefined && !entries.some((e) => e.state === 'Loaded' || e.state === 'Loading')) ? requested : status?.refreshedValue;
  const retriedValue = retryRequested(ctx.input.policy) ?? status?.retriedValue;
  return { ...(refreshedValue ? { refreshedValue } : {}), ...(retriedValue ? { retriedValue } : {}) };
}

function finalizerActions(ctx: PolicyContext, planned: readonly Action[], owed: ReadonlySet<string>, now: number, graceMs: number): Action[] {
  const { policy } = ctx.input;
  const ref = ctx.claimant.ref;
  const has = policy.metadata.finalizers?.includes(RELEASE_FINALIZER) ?? false;
  const wantsRelease = policy.spec.deletionPolicy === 'Release';
  if (!policy.metadata.deletionTimestamp) return finalizerToMatchSpec(ref, wantsRelease, has);
  if (!has) return [];
  if (!wantsRelease || ctx.input.problems.length > 0) return [{ kind: 'removeFinalizer', policy: ref, why: 'NothingToRelease' }];
  if (!ctx.selection) return finalizerWhileUnobserved(ctx, policy.metadata.deletionTimestamp, now, graceMs);
  const stillReleasing = owed.has(ref) || planned.some((a) => a.kind === 'release' && a.policy === ref);
  return stillReleasing ? [] : [{ kind: 'removeFinalizer', policy: ref, why: 'Released' }];
}

/** A live policy carries the release finalizer exactly when `deletionPolicy` is Release. */
function finalizerToMatchSpec(ref: string, wantsRelease: boolean, has: boolean): Action[] {
  if (wantsRelease && !has) return [{ kind: 'addFinalizer', policy: ref }];
  if (!wantsRelease && has) return [{ kind: 'removeFinalizer', policy: ref }];
  return [];
}

/**
 * Being deleted and Milvus not seen: a database that is gone has nothing to
 * release; an unreachable Milvus is given up after the grace period, so a
 * Milvus that is gone for good does not hold the object in deletion forever.
 */
function finalizerWhileUnobserved(ctx: PolicyContext, deletionTimestamp: string, now: number, graceMs: number): Action[] {
  const ref = ctx.claimant.ref;
  if (ctx.blockers.some((b) => b.reason === 'DatabaseNotFound')) return [{ kind: 'removeFinalizer', policy: ref, why: 'NothingToRelease' }];
  const deleting = Date.parse(deletionTimestamp);
  const unreachable = ctx.blockers.some((b) => b.reason === 'MilvusUnavailable');
  return unreachable && !Number.isNaN(deleting) && now - deleting >= graceMs ? [{ kind: 'removeFinalizer', policy: ref, why: 'ReleaseAbandoned' }] : [];
}

function budgetDrafts(all: readonly CollectionLoadBudget[], effective: CollectionLoadBudget | undefined, admission: Admission | undefined, fullyObserved: boolean): BudgetDraft[] {
  return [...all]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((b): BudgetDraft => {
      if (b !== effective) {
        return {
          name: b.metadata.name,
          status: {
            limitBytes: 0,
            usedBytes: 0,
            used: '0',
            loadedCollections: 0,
            deferredCount: 0,
            deferred: [],
            overBudget: false,
            ready: { status: false, reason: 'DuplicateBudget', message: `budget ${effective?.metadata.name ?? '?'} is older and applies to the same Milvus instance; delete one of them` },
          },
        };
      }
      if (!admission || !fullyObserved) return { name: b.metadata.name };
      const deferred = [...admission.deferred.values()];
      return {
        name: b.metadata.name,
        status: {
          limitBytes: admission.limitBytes,
          usedBytes: admission.usedBytes,
          used: formatBytes(admission.usedBytes),
          loadedCollections: admission.admitted.size,
          deferredCount: deferred.length,
          deferred: deferred.slice(0, 50).map((d) => ({
            policy: d.candidate.winner.ref,
            database: d.candidate.database,
            collection: d.candidate.collection,
            reason: d.reason,
            ...(d.candidate.estimate ? { memoryBytes: d.candidate.estimate.bytes } : {}),
          })),
          overBudget: deferred.length > 0,
          ready: {
            status: true,
            reason: deferred.length > 0 ? 'Deferring' : 'WithinBudget',
            message:
              deferred.length > 0
                ? `${formatBytes(admission.usedBytes)} of ${formatBytes(admission.limitBytes)} admitted; ${deferred.length} collection(s) deferred`
                : `${formatBytes(admission.usedBytes)} of ${formatBytes(admission.limitBytes)} admitted`,
          },
        },
      };
    });
}
