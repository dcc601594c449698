// For one collection and the policy that won it: the action to take, and the
// status entry that describes it.
import { DEFAULT_LOAD_TIMEOUT_SECONDS, DEFAULT_REPLICAS, REFRESH_ANNOTATION } from '../api/constants.ts';
import { formatDuration } from '../api/duration.ts';
import type { CollectionStatus } from '../api/policy.ts';
import type { Deferral } from './admission.ts';
import type { Claimant } from './arbitrate.ts';
import type { Estimate } from './estimate.ts';
import type { Failure } from './retry.ts';
import { actsOnPartitions, partitionPlanOf, type PartitionPlan } from './partitions.ts';
import type { CollectionEntry, LoadAction, LoadOptions, LoadReason, MilvusAction, ObservedCollection, ObservedPartition, ReleaseReason, ObservationKey } from './types.ts';

export interface Decision {
  readonly entry: CollectionEntry;
  readonly action?: MilvusAction;
  /** When this collection next needs a look without any event (a load timeout). */
  readonly wakeAt?: number;
  /** A refresh load was planned. */
  readonly refreshing?: boolean;
  /** Observation showed that Milvus gave up a load it had accepted: a failed attempt. */
  readonly failure?: Failure;
}

export interface DecisionContext {
  readonly winner: Claimant;
  readonly observed: ObservedCollection;
  readonly observationKey: ObservationKey;
  readonly database: string;
  readonly estimate: Estimate | undefined;
  /** Set when a budget defers this collection. */
  readonly deferral: Deferral | undefined;
  /** This collection's entry in the winner's previous status. */
  readonly previous: CollectionStatus | undefined;
  readonly now: number;
}

export function loadOptionsOf(c: Claimant): LoadOptions {
  const l = c.policy.spec.load;
  return {
    replicas: l?.replicas ?? DEFAULT_REPLICAS,
    resourceGroups: [...(l?.resourceGroups ?? [])].sort(),
    fields: [...(l?.fields ?? [])],
    skipDynamicField: l?.skipDynamicField ?? false,
  };
}

function memory(ctx: DecisionContext): Pick<CollectionEntry, 'memoryBytes' | 'memorySource'> {
  return ctx.estimate ? { memoryBytes: ctx.estimate.bytes, memorySource: ctx.estimate.source } : {};
}

function base(ctx: DecisionContext): { policy: string; observationKey: ObservationKey; database: string; collection: string } {
  return { policy: ctx.winner.ref, observationKey: ctx.observationKey, database: ctx.database, collection: ctx.observed.name };
}

/** The entry a collection gets from observation alone (frozen winners, agreeing losers). */
export function observedEntry(o: ObservedCollection, reason?: string, message?: string): CollectionEntry {
  if (o.loadState === 'Loaded') return { name: o.name, state: 'Loaded', reason: reason ?? 'Loaded', message: message ?? 'loaded', ...(o.replicas ? { replicas: o.replicas } : {}) };
  if (o.loadState === 'Loading') return { name: o.name, state: 'Loading', progress: o.progress, reason: reason ?? 'Loading', message: message ?? `${o.progress}% loaded` };
  return { name: o.name, state: 'Released', reason: reason ?? 'Released', message: message ?? 'not loaded' };
}

export function decide(ctx: DecisionContext): Decision {
  const { winner } = ctx;
  if (winner.desire.frozen) return { entry: observedEntry(ctx.observed) };
  if (actsOnPartitions(winner.policy)) return decidePartitions(ctx);
  if (winner.desire.effective === 'Released') return decideRelease(ctx, releaseReason(ctx));
  if (ctx.deferral) return decideDeferred(ctx, ctx.deferral);
  return decideLoad(ctx);
}

function releaseReason(ctx: DecisionContext): ReleaseReason {
  const { desire } = ctx.winner;
  if (desire.claim === 'onDelete') return 'PolicyDeleted';
  if (desire.claim === 'weak') return 'ScheduleClosed';
  return ctx.previous?.state === 'Released' ? 'Drift' : 'Declared';
}

function decideRelease(ctx: DecisionContext, reason: ReleaseReason): Decision {
  const o = ctx.observed;
  if (o.loadState === 'NotLoad') return { entry: { name: o.name, state: 'Released', reason: 'Released', message: 'released' } };
  const why =
    reason === 'Drift' ? 'was loaded outside the operator; released again' : reason === 'ScheduleClosed' ? 'outside the schedule windows; released' : reason === 'PolicyDeleted' ? 'released because the policy is being deleted' : 'released';
  return {
    entry: { name: o.name, state: 'Released', reason: 'Released', message: why },
    action: { kind: 'release', ...base(ctx), reason },
  };
}

function decideDeferred(ctx: DecisionContext, deferral: Deferral): Decision {
  const o = ctx.observed;
  const entry: CollectionEntry = { name: o.name, state: 'Deferred', reason: deferral.reason, message: deferral.message, ...memory(ctx) };
  if (o.loadState === 'NotLoad') return { entry };
  const preempted = ctx.previous?.state === 'Loaded' || ctx.previous?.state === 'Loading';
  return { entry: { ...entry, message: `released to stay within budget: ${deferral.message}` }, action: { kind: 'release', ...base(ctx), reason: preempted ? 'Preempted' : 'OverBudget' } };
}

function loadReason(ctx: DecisionContext): LoadReason {
  if (ctx.previous?.state === 'Loaded') return 'Drift';
  if (ctx.winner.policy.spec.schedule) return 'ScheduleOpened';
  return 'Declared';
}

function decideLoad(ctx: DecisionContext): Decision {
  const o = ctx.observed;
  const options = loadOptionsOf(ctx.winner);
  if (o.loadState === 'NotLoad' && o.loadError) {
    // Loading again at once would stall the same way: a failed attempt, retried after its backoff.
    const message = `Milvus gave up loading it: ${o.loadError.message}`;
    return {
      entry: { name: o.name, state: 'Failed', reason: o.loadError.reason, message, ...memory(ctx) },
      failure: { action: 'Load', reason: o.loadError.reason, message, class: o.loadError.class ?? 'Retryable' },
    };
  }
  if (o.loadState === 'NotLoad') {
    const reason = loadReason(ctx);
    const message = reason === 'Drift' ? 'was released outside the operator; loading again' : ctx.winner.desire.prewarming ? 'prewarming before the schedule window opens; load requested' : 'load requested';
    return {
      entry: { name: o.name, state: 'Loading', progress: 0, reason: reason === 'Drift' ? 'DriftCorrected' : 'LoadStarted', message, ...memory(ctx) },
      action: { kind: 'load', ...base(ctx), options, refresh: false, reason, ...priorityOf(ctx) },
    };
  }
  if (o.loadState === 'Loading') return loadingEntry(ctx);
  const reconfigure = reconfiguration(o, options);
  if (reconfigure) {
    return {
      entry: { name: o.name, state: 'Loading', progress: 0, reason: 'Reconfiguring', message: `reloading: ${reconfigure}`, ...memory(ctx) },
      action: { kind: 'load', ...base(ctx), options, refresh: false, reason: 'Reconfigure' },
    };
  }
  const refresh = refreshRequested(ctx);
  const loaded: CollectionEntry = { ...observedEntry(o), ...memory(ctx) };
  if (refresh) return { entry: { ...loaded, reason: 'Refreshing', message: `refresh requested (${REFRESH_ANNOTATION}=${refresh})` }, action: { kind: 'load', ...base(ctx), options, refresh: true, reason: 'Refresh' }, refreshing: true };
  return { entry: loaded };
}

/** `spec.load.priority`, else Low for a prewarm load (nobody waits for it yet). */
function priorityOf(ctx: DecisionContext): Pick<LoadAction, 'priority'> {
  const declared = ctx.winner.policy.spec.load?.priority;
  if (declared) return { priority: declared };
  return ctx.winner.desire.prewarming ? { priority: 'Low' } : {};
}

function loadingEntry(ctx: DecisionContext): Decision {
  const o = ctx.observed;
  // Once timed out, stay Failed while Milvus keeps loading; flipping back to Loading would restart the clock.
  if (ctx.previous?.state === 'Failed' && ctx.previous.reason === 'LoadTimedOut') return { entry: timedOutEntry(ctx, `still loading (${o.progress}%)`) };
  const started = loadStartedAt(ctx);
  const deadline = started + (ctx.winner.policy.spec.load?.timeoutSeconds ?? DEFAULT_LOAD_TIMEOUT_SECONDS) * 1000;
  if (ctx.now >= deadline) return { entry: timedOutEntry(ctx, `still loading after ${formatDuration(ctx.now - started)} (${o.progress}%)`) };
  return { entry: { name: o.name, state: 'Loading', progress: o.progress, reason: 'Loading', message: `${o.progress}% loaded`, ...memory(ctx) }, wakeAt: deadline };
}

/** When the load began: the last transition into Loading (or Failed) in the status, else now. */
function loadStartedAt(ctx: DecisionContext): number {
  const p = ctx.previous;
  const since = p?.state === 'Loading' || p?.state === 'Failed' ? Date.parse(p.lastTransitionTime ?? '') : Number.NaN;
  return Number.isNaN(since) ? ctx.now : since;
}

function timedOutEntry(ctx: DecisionContext, loading: string): CollectionEntry {
  const o = ctx.observed;
  return {
    name: o.name,
    state: 'Failed',
    progress: o.progress,
    reason: 'LoadTimedOut',
    message: `${loading}, over spec.load.timeoutSeconds; Milvus keeps loading: check query-node memory and logs, or raise the timeout`,
    ...memory(ctx),
  };
}

function reconfiguration(o: ObservedCollection, want: LoadOptions): string | undefined {
  if (o.replicas !== undefined && o.replicas > 0 && o.replicas !== want.replicas) return `replicas ${o.replicas} -> ${want.replicas}`;
  if (o.resourceGroups !== undefined && want.resourceGroups.length > 0) {
    const have = [...new Set(o.resourceGroups)].sort();
    if (have.join(',') !== want.resourceGroups.join(',')) return `resource groups [${have.join(', ')}] -> [${want.resourceGroups.join(', ')}]`;
  }
  return undefined;
}

/** The annotation value to act on, when it is new. */
export function refreshRequested(ctx: { winner: Claimant }): string | undefined {
  const value = ctx.winner.policy.metadata.annotations?.[REFRESH_ANNOTATION];
  if (value === undefined || value === '') return undefined;
  return value === ctx.winner.policy.status?.refreshedValue ? undefined : value;
}

function decidePartitions(ctx: DecisionContext): Decision {
  const o = ctx.observed;
  const parts = o.partitions;
  if (!parts) return { entry: observedEntry(o) };
  const plan = partitionPlanOf(ctx.winner.policy, parts);
  const wantLoaded = ctx.winner.desire.effective === 'Loaded' && !ctx.deferral;
  return wantLoaded ? keepPartitions(ctx, parts, plan) : releasePartitions(ctx, parts, plan);
}

const missingNote = (plan: PartitionPlan): string => (plan.missing.length > 0 ? `; partitions not found: ${plan.missing.join(', ')}` : '');

function releasePartitions(ctx: DecisionContext, parts: ReadonlyMap<string, ObservedPartition>, plan: PartitionPlan): Decision {
  const o = ctx.observed;
  const acted = [...plan.keep, ...plan.drop];
  const loaded = acted.filter((p) => parts.get(p)?.loadState !== 'NotLoad');
  const entry: CollectionEntry = ctx.deferral
    ? { name: o.name, state: 'Deferred', reason: ctx.deferral.reason, message: ctx.deferral.message }
    : { name: o.name, state: 'Released', reason: 'Released', message: `partitions ${acted.join(', ') || '(none)'} released${missingNote(plan)}` };
  if (loaded.length === 0) return { entry: plan.missing.length > 0 && !ctx.deferral ? { ...entry, state: 'NotFound', reason: 'PartitionNotFound' } : entry };
  return { entry, action: { kind: 'release', ...base(ctx), partitions: loaded, reason: ctx.deferral ? 'OverBudget' : releaseReason(ctx) } };
}

function keepPartitions(ctx: DecisionContext, parts: ReadonlyMap<string, ObservedPartition>, plan: PartitionPlan): Decision {
  const o = ctx.observed;
  if (plan.keep.length === 0) return { entry: noPartitionEntry(ctx, plan) };
  const notLoaded = plan.keep.filter((p) => parts.get(p)?.loadState === 'NotLoad');
  if (notLoaded.length > 0) {
    return {
      entry: { name: o.name, state: 'Loading', progress: 0, reason: 'LoadStarted', message: `loading partitions ${notLoaded.join(', ')}${missingNote(plan)}`, ...memory(ctx) },
      action: { kind: 'load', ...base(ctx), partitions: notLoaded, options: loadOptionsOf(ctx.winner), refresh: false, reason: loadReason(ctx), ...priorityOf(ctx) },
    };
  }
  const loading = plan.keep.filter((p) => parts.get(p)?.loadState === 'Loading');
  if (loading.length > 0) {
    const progress = Math.min(...loading.map((p) => parts.get(p)?.progress ?? 0));
    return loadingEntry({ ...ctx, observed: { ...o, loadState: 'Loading', progress } });
  }
  // A window moves make-before-break: older partitions go only once the newer ones are loaded.
  const aged = plan.drop.filter((p) => parts.get(p)?.loadState !== 'NotLoad');
  const loaded: CollectionEntry = { name: o.name, state: 'Loaded', reason: 'Loaded', message: `partitions loaded: ${plan.keep.join(', ')}`, ...memory(ctx) };
  if (aged.length > 0) {
    const keepNewest = ctx.winner.policy.spec.partitionSelector?.keepNewest ?? plan.keep.length;
    return {
      entry: { ...loaded, reason: 'PartitionsRolled', message: `partitions loaded: ${plan.keep.join(', ')}; releasing older ${aged.join(', ')} (spec.partitionSelector keeps the newest ${keepNewest})` },
      action: { kind: 'release', ...base(ctx), partitions: aged, reason: 'PartitionAged' },
    };
  }
  if (plan.missing.length > 0) return { entry: { name: o.name, state: 'NotFound', reason: 'PartitionNotFound', message: `partitions loaded: ${plan.keep.join(', ')}${missingNote(plan)}` } };
  return { entry: loaded };
}

function noPartitionEntry(ctx: DecisionContext, plan: PartitionPlan): CollectionEntry {
  const name = ctx.observed.name;
  const selector = ctx.winner.policy.spec.partitionSelector;
  if (selector) {
    return {
      name,
      state: 'NotFound',
      reason: 'NoMatchingPartition',
      message: `no partition of ${name} matches spec.partitionSelector.patterns (${selector.patterns.join(', ')}); matching partitions are loaded when they are created`,
    };
  }
  return { name, state: 'NotFound', reason: 'PartitionNotFound', message: `partitions not found in ${name}: ${plan.missing.join(', ')}` };
}
