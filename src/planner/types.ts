// The planner's inputs and outputs. The planner is a pure function of these:
// no I/O, no clock, no randomness (STYLE §1).
import type { BudgetStatus, CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionLoadPolicy, CollectionState, FailureClass, LoadState, PolicyStatus } from '../api/policy.ts';
import type { LoadPriority } from '../api/policy-usage.ts';
import type { CollectionUsage } from '../api/usage-source.ts';
import type { RetryState } from './retry.ts';

export type ObservedLoadState = 'NotLoad' | 'Loading' | 'Loaded';

/**
 * Which look at Milvus a policy's collections come from: one per
 * (credentials, database), since what a caller may see depends on its
 * credentials. Opaque: made only by `observationKeyOf`, so it cannot be
 * confused with a policy reference or a collection key.
 */
export type ObservationKey = string & { readonly __brand: 'ObservationKey' };

/** `credentials`: a fingerprint of the credentials (never the values), or a fixed word where there are none to resolve. */
export const observationKeyOf = (credentials: string, database: string): ObservationKey => JSON.stringify([credentials, database]) as ObservationKey;

export interface ObservedPartition {
  readonly loadState: ObservedLoadState;
  readonly progress: number;
  /** When Milvus created it (epoch ms), for `partitionSelector.orderBy: CreationTime`. */
  readonly createdAt?: number;
}

/** What Milvus reported for one collection in one pass. */
export interface ObservedCollection {
  readonly name: string;
  readonly loadState: ObservedLoadState;
  /** 0-100. */
  readonly progress: number;
  /** Replicas in Milvus, when the server reports them (Lite does not). */
  readonly replicas?: number;
  readonly resourceGroups?: readonly string[];
  /** Sum of loaded segments' `mem_size`, all replicas; only while loaded. */
  readonly measuredBytes?: number;
  /** rows × bytes per row × index factor, one replica (see docs/budgets.md). */
  readonly schemaBytes?: number;
  /** Present only for collections a policy acts on by partition. */
  readonly partitions?: ReadonlyMap<string, ObservedPartition>;
  /**
   * Why Milvus gave up a load it had accepted (it replays the error on
   * GetLoadingProgress for a while, e.g. after running out of memory).
   */
  readonly loadError?: ObservationFailure;
}

export interface ObservationFailure {
  /** CamelCase reason for conditions, e.g. `MilvusUnavailable`, `AuthenticationFailed`, `DatabaseNotFound`. */
  readonly reason: string;
  /** What is wrong and what to do. Never contains credentials. */
  readonly message: string;
  /** Terminal: it will not go away without a change (stalls the policy). Retryable by default. */
  readonly class?: FailureClass;
}

export type ObservedDatabase =
  | { readonly ok: true; readonly collections: ReadonlyMap<string, ObservedCollection> }
  | ({ readonly ok: false } & ObservationFailure);

export interface PolicyInput {
  /** Validated and defaulted. */
  readonly policy: CollectionLoadPolicy;
  /** Run-time spec problems (unknown time zone, bad glob, unreadable Secret...); non-empty => InvalidSpec, no claims. */
  readonly problems: readonly string[];
  /** A failure that prevents observing for this policy at all (e.g. its credentials Secret is missing). */
  readonly connectionFailure?: ObservationFailure;
  /** Key of this policy's database observation in `PlanInput.observed` (credentials + database). */
  readonly observationKey: ObservationKey;
  /**
   * The controller's memory of this policy's failed collections from its
   * last pass. Absent (after a restart): read from the policy's status.
   */
  readonly retries?: ReadonlyMap<string, RetryState>;
  /**
   * The controller's memory of each collection's state and since when, from
   * the last pass (`transitionsAfter`), uncapped unlike the status list.
   * Absent (after a restart): read from the policy's status.
   */
  readonly transitions?: ReadonlyMap<string, Transition>;
}

/** A collection's state in a policy's last pass, and since when (epoch ms). */
export interface Transition {
  readonly state: CollectionState;
  readonly reason: string;
  readonly since: number;
}

export type { CollectionUsage } from '../api/usage-source.ts';

/** Usage of one Milvus instance, for the policies with `spec.idle`. */
export interface UsageInput {
  /** `spec.usage.period` of the budget (ms): idleness is judged once per period. */
  readonly periodMs: number;
  /** Per `database/collection`. */
  readonly collections: ReadonlyMap<string, CollectionUsage>;
  /** For a collection the map does not name (the source is down, or saw nothing of it). */
  readonly otherwise: CollectionUsage;
}

export interface PlanInput {
  /** Normalized `host:port` of the Milvus instance. */
  readonly instance: string;
  readonly policies: readonly PolicyInput[];
  /** Budgets whose `milvusUri` normalizes to `instance`. */
  readonly budgets: readonly CollectionLoadBudget[];
  readonly observed: ReadonlyMap<ObservationKey, ObservedDatabase>;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Absent: no usage source is configured for this instance (usage unknown, nothing is released for idleness). */
  readonly usage?: UsageInput;
}

export interface LoadOptions {
  readonly replicas: number;
  readonly resourceGroups: readonly string[];
  readonly fields: readonly string[];
  readonly skipDynamicField: boolean;
}

export type LoadReason = 'Declared' | 'Drift' | 'Reconfigure' | 'Refresh' | 'ScheduleOpened' | 'LoadOnUse';
export type ReleaseReason = 'Declared' | 'Drift' | 'ScheduleClosed' | 'Preempted' | 'OverBudget' | 'PolicyDeleted' | 'Idle' | 'PartitionAged';

interface ActionBase {
  /** `namespace/name` of the policy the action is for (the winner). */
  readonly policy: string;
  readonly observationKey: ObservationKey;
  readonly database: string;
  readonly collection: string;
  /** Act on these partitions only. */
  readonly partitions?: readonly string[];
}

export interface LoadAction extends ActionBase {
  readonly kind: 'load';
  readonly options: LoadOptions;
  readonly refresh: boolean;
  readonly reason: LoadReason;
  /**
   * Milvus 2.6 `load_params` priority. `spec.load.priority`, else Low for a
   * prewarm load and High for a load on use; absent: the server's default.
   * Servers without it ignore it (the controller says so in a condition).
   */
  readonly priority?: LoadPriority;
}

export interface ReleaseAction extends ActionBase {
  readonly kind: 'release';
  readonly reason: ReleaseReason;
}

export interface FinalizerAction {
  readonly kind: 'addFinalizer' | 'removeFinalizer';
  readonly policy: string;
  /**
   * Why a finalizer is removed: the release is done, the policy retains or is
   * invalid, or Milvus stayed unreachable past the grace period and the
   * release is abandoned (a Warning Event, ADR 0005).
   */
  readonly why?: 'Released' | 'NothingToRelease' | 'ReleaseAbandoned';
}

export type MilvusAction = LoadAction | ReleaseAction;
export type Action = MilvusAction | FinalizerAction;

/** One selected collection, as the status will show it (before lastTransitionTime is resolved). */
export interface CollectionEntry {
  readonly name: string;
  readonly state: CollectionState;
  readonly reason: string;
  readonly message: string;
  readonly progress?: number;
  readonly replicas?: number;
  readonly memoryBytes?: number;
  readonly memorySource?: 'Spec' | 'Measured' | 'Schema';
  /** Failed attempts and the next one (error policy, retry.ts); absent once as wanted. */
  readonly retry?: RetryState;
  /** For policies with `spec.idle`: what the usage source said (rendered as lastUsedTime / usageUnknownReason). */
  readonly usage?: UsageNote;
}

export type UsageNote = { readonly lastUsedTime?: number } | { readonly unknownReason: string; readonly unknownMessage: string };

export interface Blocker {
  readonly reason: string;
  readonly message: string;
  /** Shown as Degraded=True. */
  readonly degraded: boolean;
  /** Needs a person (Stalled=True); otherwise the operator keeps retrying. */
  readonly terminal: boolean;
}

/** Everything needed to render one policy's status; the controller amends entries with action results first. */
export interface PolicyDraft {
  readonly ref: string;
  readonly policy: CollectionLoadPolicy;
  readonly effectiveState: LoadState;
  readonly nextScheduleChange?: number;
  /** Problems that make the whole policy not Ready, most severe first. */
  readonly blockers: readonly Blocker[];
  /** Undefined when Milvus could not be observed: the previous list is kept as last known. */
  readonly entries?: readonly CollectionEntry[];
  readonly frozen?: { readonly reason: 'Suspended' | 'Unmanaged'; readonly message: string };
  readonly refreshedValue?: string;
  readonly retriedValue?: string;
  /** Milvus actions planned for this policy. */
  readonly actionCount: number;
  /** Collections this pass loaded and saw finish (withActionOutcomes): one `Loaded` Event names them. */
  readonly loadedInPass?: readonly string[];
  /** For policies with `spec.idle`: whether usage is seen (the UsageKnown condition). */
  readonly usageKnown?: { readonly status: boolean; readonly reason: string; readonly message: string };
}

export interface BudgetDraft {
  readonly name: string;
  /** Undefined when the status must be left as it is (instance not fully observed). */
  readonly status?: Omit<BudgetStatus, 'conditions'> & { readonly ready: { status: boolean; reason: string; message: string }; readonly overBudget: boolean };
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly policies: readonly PolicyDraft[];
  readonly budgets: readonly BudgetDraft[];
  /** Earliest instant a time-based change is due (schedule flip, load timeout); the controller requeues then. */
  readonly wakeAt?: number;
  /** Something is loading in Milvus (observed, not merely planned): poll progress soon. */
  readonly loading: boolean;
}

export type { PolicyStatus };
