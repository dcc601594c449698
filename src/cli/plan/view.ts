// What a plan means per collection, policy and budget: the lines plan
// prints, derived from the planner's own actions and status drafts.
import { budgetSpecSchema } from '../../api/budget.ts';
import type { CollectionState } from '../../api/policy.ts';
import { estimateOf } from '../../planner/estimate.ts';
import { policyRef } from '../../planner/rank.ts';
import { selects } from '../../planner/select.ts';
import { iso } from '../../planner/time.ts';
import type { BudgetDraft, CollectionEntry, MilvusAction, ObservationKey, ObservedCollection, Plan, PolicyDraft } from '../../planner/types.ts';
import type { InstancePlan } from './instances.ts';
import type { UsageSourceNote } from './usage.ts';

export type ChangeOp = 'load' | 'release' | 'refresh' | 'defer' | 'conflict' | 'problem' | 'nothing';

export interface PlannedChange {
  readonly op: ChangeOp;
  readonly database: string;
  readonly collection: string;
  /** namespace/name of the policy the line is about (for conflicts: the loser). */
  readonly policy: string;
  /** The planner's reason (action reason, or the status reason). */
  readonly reason: string;
  /** Why, in words: the planner's status message. */
  readonly message: string;
  readonly memoryBytes?: number;
  readonly partitions?: readonly string[];
}

export interface PolicyNote {
  readonly policy: string;
  readonly effectiveState: string;
  readonly nextScheduleChange?: string;
  /** Why the policy could not be planned at all (MilvusUnavailable, SecretNotFound, InvalidSpec...). */
  readonly problem?: { readonly reason: string; readonly message: string };
  readonly frozen?: string;
  /** For a policy with `spec.idle`: whether its collections' requests are seen (the UsageKnown condition run would set). */
  readonly usage?: { readonly known: boolean; readonly reason: string; readonly message: string };
}

interface BudgetName {
  readonly name: string;
  readonly preemption?: string;
}

/** A budget whose use cannot be computed (Milvus not fully observed, duplicate budget): why. */
export interface BudgetNote extends BudgetName {
  readonly note: string;
}

/** A budget's arithmetic for this plan, in bytes and collection counts. */
export interface BudgetUse extends BudgetName {
  readonly limitBytes: number;
  readonly loadedNowBytes: number;
  readonly requestedBytes: number;
  readonly requestedCount: number;
  readonly releasedBytes: number;
  readonly releasedCount: number;
  readonly admittedBytes: number;
  readonly freeBytes: number;
  readonly deferredBytes: number;
  readonly deferredCount: number;
}

export type BudgetView = BudgetNote | BudgetUse;

export interface InstanceView {
  readonly instance: string;
  readonly changes: readonly PlannedChange[];
  readonly policies: readonly PolicyNote[];
  readonly budgets: readonly BudgetView[];
  /** The usage source as plan read it (once); absent when no budget names one. */
  readonly usage?: UsageSourceNote;
}

function observedOf(ip: InstancePlan, observationKey: ObservationKey, name: string): ObservedCollection | undefined {
  const db = ip.observed.get(observationKey);
  return db?.ok ? db.collections.get(name) : undefined;
}

function actionFor(p: Plan, ref: string, database: string, name: string): MilvusAction | undefined {
  return p.actions.find((a): a is MilvusAction => (a.kind === 'load' || a.kind === 'release') && a.policy === ref && a.database === database && a.collection === name);
}

/** A scheduled policy outside its windows whose collection is not loaded: the load waits for the window. */
function waitsForWindow(d: PolicyDraft): boolean {
  return d.policy.spec.schedule !== undefined && (d.policy.spec.state ?? 'Loaded') === 'Loaded' && d.effectiveState === 'Released' && !d.frozen && !d.policy.metadata.deletionTimestamp;
}

/** The collection states that are a line of their own when no action is planned. */
const OP_OF_STATE: Partial<Readonly<Record<CollectionState, ChangeOp>>> = { Deferred: 'defer', Conflict: 'conflict', NotFound: 'problem', Failed: 'problem' };

type ChangeBase = Pick<PlannedChange, 'database' | 'collection' | 'policy' | 'memoryBytes'>;

function actionChange(base: ChangeBase, a: MilvusAction, e: CollectionEntry): PlannedChange {
  const op: ChangeOp = a.kind === 'release' ? 'release' : a.refresh ? 'refresh' : 'load';
  return { ...base, op, reason: a.reason, message: e.message, ...(a.partitions ? { partitions: a.partitions } : {}) };
}

/** A collection nothing is sent for: why it waits, fails, loses a conflict, or needs nothing. */
function inactionChange(base: ChangeBase, d: PolicyDraft, e: CollectionEntry): PlannedChange {
  const op = OP_OF_STATE[e.state];
  if (op) return { ...base, op, reason: e.reason, message: e.message };
  if (e.state === 'Released' && waitsForWindow(d)) {
    const when = d.nextScheduleChange !== undefined ? `; it loads at ${iso(d.nextScheduleChange)}` : '';
    return { ...base, op: 'defer', reason: 'OutsideSchedule', message: `outside the schedule windows${when}` };
  }
  // A collection held by another policy is not this policy's to freeze.
  const frozen = d.frozen && e.reason !== 'HeldByOtherPolicy' ? `; ${d.frozen.message}` : '';
  return { ...base, op: 'nothing', reason: e.reason, message: `${e.message}${frozen}` };
}

function changesOf(ip: InstancePlan, d: PolicyDraft): PlannedChange[] {
  const database = d.policy.spec.milvus.database ?? 'default';
  return (d.entries ?? []).map((e): PlannedChange => {
    const base = { database, collection: e.name, policy: d.ref, ...(e.memoryBytes !== undefined ? { memoryBytes: e.memoryBytes } : {}) };
    const a = actionFor(ip.plan, d.ref, database, e.name);
    return a ? actionChange(base, a, e) : inactionChange(base, d, e);
  });
}

function noteOf(d: PolicyDraft): PolicyNote {
  const blocker = d.blockers[0];
  const problem = blocker ?? (d.entries?.length === 0 ? { reason: 'NothingSelected', message: 'no collection matches spec.selector' } : undefined);
  return {
    policy: d.ref,
    effectiveState: d.effectiveState,
    ...(d.nextScheduleChange !== undefined ? { nextScheduleChange: iso(d.nextScheduleChange) } : {}),
    ...(problem ? { problem: { reason: problem.reason, message: problem.message } } : {}),
    ...(d.frozen ? { frozen: d.frozen.message } : {}),
    ...(d.usageKnown ? { usage: { known: d.usageKnown.status, reason: d.usageKnown.reason, message: d.usageKnown.message } } : {}),
  };
}

/** Bytes and count of the planned changes of one kind, each at its estimate. */
function changeTotal(ip: InstancePlan, changes: readonly PlannedChange[], op: ChangeOp): { bytes: number; count: number } {
  const of = changes.filter((c) => c.op === op);
  return { bytes: of.reduce((n, c) => n + (c.memoryBytes ?? estimateFor(ip, c) ?? 0), 0), count: of.length };
}

function budgetView(ip: InstancePlan, changes: readonly PlannedChange[], bd: BudgetDraft): BudgetView {
  const budget = ip.budgets.find((b) => b.metadata.name === bd.name);
  // The planner reads an unset preemption as the API default (Never); show that, not another word.
  const preemption = budget?.spec.preemption ?? budgetSpecSchema.properties.preemption.default;
  const s = bd.status;
  if (!s) return { name: bd.name, preemption, note: 'not computed: some policy of this Milvus could not be observed' };
  if (s.ready.reason === 'DuplicateBudget') return { name: bd.name, preemption, note: s.ready.message };
  // The planner sets the figures on every status it computes; one without them has nothing to show.
  if (s.limitBytes === undefined || s.usedBytes === undefined) return { name: bd.name, preemption, note: 'not computed' };
  const requested = changeTotal(ip, changes, 'load');
  const released = changeTotal(ip, changes, 'release');
  const deferred = s.deferred ?? [];
  return {
    name: bd.name,
    preemption,
    limitBytes: s.limitBytes,
    loadedNowBytes: loadedNow(ip),
    requestedBytes: requested.bytes,
    requestedCount: requested.count,
    releasedBytes: released.bytes,
    releasedCount: released.count,
    admittedBytes: s.usedBytes,
    freeBytes: Math.max(0, s.limitBytes - s.usedBytes),
    deferredBytes: deferred.reduce((n, d) => n + (d.memoryBytes ?? 0), 0),
    deferredCount: s.deferredCount ?? deferred.length,
  };
}

function estimateFor(ip: InstancePlan, c: PlannedChange): number | undefined {
  const input = ip.inputs.find((i) => policyRef(i.policy) === c.policy);
  const o = input ? observedOf(ip, input.observationKey, c.collection) : undefined;
  return input && o ? estimateOf(input.policy, o)?.bytes : undefined;
}

/** Estimated memory of what is loaded or loading now among the collections the policies select (each counted once). */
function loadedNow(ip: InstancePlan): number {
  const seen = new Set<string>();
  let total = 0;
  for (const input of ip.inputs) {
    const db = ip.observed.get(input.observationKey);
    if (!db?.ok) continue;
    for (const o of db.collections.values()) {
      const key = `${input.observationKey}/${o.name}`;
      if (o.loadState === 'NotLoad' || seen.has(key) || !selects(input.policy, o.name)) continue;
      seen.add(key);
      total += estimateOf(input.policy, o)?.bytes ?? 0;
    }
  }
  return total;
}

const OP_ORDER: Readonly<Record<ChangeOp, number>> = { load: 0, refresh: 1, release: 2, defer: 3, conflict: 4, problem: 5, nothing: 6 };

export function viewOf(ip: InstancePlan): InstanceView {
  const changes = ip.plan.policies
    .flatMap((d) => changesOf(ip, d))
    .sort((a, b) => a.database.localeCompare(b.database) || a.collection.localeCompare(b.collection) || OP_ORDER[a.op] - OP_ORDER[b.op] || a.policy.localeCompare(b.policy));
  return { instance: ip.instance, changes, policies: ip.plan.policies.map(noteOf), budgets: ip.plan.budgets.map((bd) => budgetView(ip, changes, bd)), ...(ip.usage ? { usage: ip.usage } : {}) };
}

/** Only what concerns the policies of one namespace (planned with all of them). */
export function scopeTo(instances: readonly InstanceView[], namespace: string): InstanceView[] {
  const mine = (ref: string): boolean => ref.startsWith(`${namespace}/`);
  return instances
    .filter((i) => i.policies.some((p) => mine(p.policy)))
    .map((i) => ({ ...i, changes: i.changes.filter((c) => mine(c.policy)), policies: i.policies.filter((p) => mine(p.policy)) }));
}
