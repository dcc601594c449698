// One reconcile of one Milvus instance: observe -> plan -> act -> report,
// a cell (a database, or the whole instance when a budget spans it) at a
// time. It works from the current state of the world (caches and Milvus),
// never from "what changed", and rebuilds every status from observation;
// what changed only decides which cells go first, or alone (docs/adr/0012).
//
// Order of side effects (kube-rs, controller-runtime): a finalizer that
// guards a load is written, in its own request, before any Milvus call for
// its policy; a finalizer is removed only after the releases it guards.
import type { CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionLoadPolicy, PolicyStatus } from '../api/policy.ts';
import type { Logger } from '../log/logger.ts';
import { isKubeError } from '../kube/http.ts';
import type { KubePort } from '../kube/port.ts';
import { ADVICE, MilvusError } from '../milvus/errors.ts';
import { eventsFor, releaseAbandonedEvent, type EventSpec } from '../planner/events.ts';
import { DEFAULT_DELETION_GRACE_MS } from '../planner/plan.ts';
import type { Failure } from '../planner/retry.ts';
import { nextAttemptOf, renderBudgetStatus, renderPolicyStatus, withActionOutcomes } from '../planner/status.ts';
import type { FinalizerAction, MilvusAction, ObservationFailure, ObservationKey, Plan, PolicyDraft } from '../planner/types.ts';
import { ConnectionPool } from './connections.ts';
import { addFinalizerFirst, removeFinalizer, type FinalizerOutcome } from './finalizers.ts';
import { secretResolver, type Inputs, type PolicyKey, type Resolver } from './inputs.ts';
import { jsonEqual } from './json-equal.ts';
import { mapLimit } from './map-limit.ts';
import type { EstimateCache } from './observe.ts';
import type { MilvusPort } from '../milvus/port.ts';
import { cellOfDatabase, cellSource, cellsOf, type Cell, type CellKey, type TouchedDatabases } from './cells.ts';
import { instanceOf, instanceOfPolicy, observeAndPlan } from './pass.ts';
import { mergeSummaries, summarize, type PlanSummary } from './plan-summary.ts';
import type { Outcome } from './queue.ts';
import type { UsageView, UsageWatches } from './usage.ts';
import { PassMemory } from './pass-memory.ts';

export interface ReconcilerDeps {
  readonly kube: KubePort;
  readonly pool: ConnectionPool;
  readonly cache: EstimateCache;
  readonly log: Logger;
  readonly now: () => number;
  readonly policies: () => CollectionLoadPolicy[];
  readonly budgets: () => CollectionLoadBudget[];
  readonly settings: {
    readonly resyncMs: number;
    readonly pollMs: number;
    readonly actionConcurrency: number;
    readonly dryRun: boolean;
    /** Rewrite an unchanged status at most this often (refreshes lastSyncTime). */
    readonly statusHeartbeatMs: number;
    readonly deletionGraceMs?: number;
  };
  readonly onReconciled?: (instance: string, stats: ReconcileStats) => void;
  /** Usage sources per instance (budgets' spec.usage), for idle release and load on use. */
  readonly usage?: UsageWatches;
}

export interface ReconcileStats {
  readonly actions: number;
  readonly actionFailures: number;
  readonly statusWrites: number;
  readonly milvusReachable: boolean;
  /** The pass's plan, summed over its cells. */
  readonly plan: PlanSummary;
  /** The pass covered only the cells events touched: instance-wide figures (gauges) are not in it. */
  readonly partial: boolean;
}

/** Status equality that ignores the heartbeat field and key order. */
export function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  if (!a) return false;
  return jsonEqual({ ...a, lastSyncTime: undefined }, { ...b, lastSyncTime: undefined });
}

/** What the Milvus calls of one pass did. */
interface Acted {
  /** Failed calls, per policy and collection. */
  readonly failures: Map<PolicyKey, Map<string, Failure>>;
  readonly refreshFailed: Set<PolicyKey>;
  /** Notes on accepted calls, per policy and collection (withActionOutcomes). */
  readonly notes: Map<PolicyKey, Map<string, string>>;
  failed: number;
  /** Loads Milvus accepted: these are in flight now. */
  loadsSent: number;
  /** Whole-collection loads Milvus accepted, per observation key (for settleLoads). */
  readonly sentLoads: Map<ObservationKey, MilvusAction[]>;
  /** Releases done: a deleted policy's finalizer can go on the next pass. */
  releasesDone: number;
}

function failureOfAction(a: MilvusAction, e: unknown): Failure {
  const action = a.kind === 'load' ? 'Load' : 'Release';
  if (!(e instanceof MilvusError)) return { action, reason: 'MilvusError', message: `${a.kind} failed: ${String(e)}`, class: 'Retryable' };
  return { action, reason: e.reason, message: `${a.kind} failed: ${e.message}; ${ADVICE[e.reason]}`, class: e.kind === 'terminal' ? 'Terminal' : 'Retryable' };
}

/** Runs the Milvus actions; a policy whose finalizer could not be written first gets no load. */
async function actOnMilvus(deps: ReconcilerDeps, log: Logger, ins: Inputs, actions: readonly MilvusAction[], unguarded: ReadonlyMap<PolicyKey, FinalizerOutcome>): Promise<Acted> {
  const acted = noneActed();
  const fail = (a: MilvusAction, f: Failure): void => {
    const m = acted.failures.get(a.policy) ?? new Map<string, Failure>();
    m.set(a.collection, f);
    acted.failures.set(a.policy, m);
    if (a.kind === 'load' && a.refresh) acted.refreshFailed.add(a.policy);
  };
  await mapLimit(actions, deps.settings.actionConcurrency, async (a) => {
    const g = ins.groups.get(a.observationKey);
    if (!g) return;
    const guard = a.kind === 'load' ? unguarded.get(a.policy) : undefined;
    if (guard?.ok === false) {
      if (guard.failure) fail(a, guard.failure);
      return;
    }
    const alog = log.child({ policy: a.policy, database: a.database, collection: a.collection });
    try {
      await callMilvus(g.port, a, acted);
      deps.cache.forget(a.database, a.collection);
      alog.info(`${a.kind} ${a.reason === 'Declared' ? 'requested' : `(${a.reason})`}`, { action: a.kind, reason: a.reason, ...(a.partitions ? { partitions: a.partitions } : {}) });
    } catch (e: unknown) {
      // A release of something already gone is a success.
      if (a.kind === 'release' && e instanceof MilvusError && e.kind === 'notFound') return;
      acted.failed++;
      const f = failureOfAction(a, e);
      alog.warn(f.message, { action: a.kind, reason: f.reason, class: f.class });
      fail(a, f);
    }
  });
  return acted;
}

/** One load or release, and what Milvus accepted, recorded in `acted`. */
async function callMilvus(port: MilvusPort, a: MilvusAction, acted: Acted): Promise<void> {
  const partitions = a.partitions ? { partitions: a.partitions } : {};
  if (a.kind === 'release') {
    await port.release({ database: a.database, collection: a.collection, ...partitions });
    acted.releasesDone++;
    return;
  }
  const accepted = await port.load({ database: a.database, collection: a.collection, ...partitions, ...a.options, refresh: a.refresh, ...(a.priority ? { priority: a.priority } : {}) });
  if (accepted.priorityIgnoredBy) note(acted, a, `load priority ${a.priority ?? ''} not sent: Milvus ${accepted.priorityIgnoredBy} has none (it needs 2.6 or newer)`);
  sent(acted, a);
}

function note(acted: Acted, a: MilvusAction, text: string): void {
  const m = acted.notes.get(a.policy) ?? new Map<string, string>();
  m.set(a.collection, text);
  acted.notes.set(a.policy, m);
}

function noneActed(): Acted {
  return { failures: new Map(), refreshFailed: new Set(), notes: new Map(), failed: 0, loadsSent: 0, releasesDone: 0, sentLoads: new Map() };
}

function sent(acted: Acted, a: MilvusAction): void {
  acted.loadsSent++;
  if (a.partitions) return;
  const list = acted.sentLoads.get(a.observationKey);
  if (list) list.push(a);
  else acted.sentLoads.set(a.observationKey, [a]);
}

/**
 * After the loads of a pass, one in-memory listing per database that had
 * any: the loads Milvus finished meanwhile (small collections, the
 * simulator) are reported Loaded in this pass's status, instead of Loading
 * now and Loaded one poll later. Best effort: a failed listing leaves them
 * Loading, and the poll finds them. Returns, per policy, the finished ones.
 */
async function settleLoads(ins: Inputs, acted: Acted): Promise<Map<PolicyKey, Set<string>>> {
  const done = new Map<PolicyKey, Set<string>>();
  for (const [key, loads] of acted.sentLoads) {
    const g = ins.groups.get(key);
    if (!g) continue;
    let finished: Set<string>;
    try {
      finished = new Set((await g.port.listLoaded(g.database)).filter((c) => (c.loadedPercent ?? 0) >= 100).map((c) => c.name));
    } catch {
      continue;
    }
    for (const a of loads) {
      if (!finished.has(a.collection)) continue;
      const set = done.get(a.policy) ?? new Set<string>();
      set.add(a.collection);
      done.set(a.policy, set);
    }
  }
  return done;
}

async function writeFinalizers(deps: ReconcilerDeps, log: Logger, ins: Inputs, actions: readonly FinalizerAction[], now: number): Promise<void> {
  for (const a of actions) {
    const pol = ins.byRef.get(a.policy);
    if (!pol) continue;
    const removed = await removeFinalizer(deps.kube, pol, log);
    if (!removed) continue;
    log.info('removed finalizer', { policy: a.policy, why: a.why });
    if (a.why === 'ReleaseAbandoned') await emitEvents(deps, log, pol, [releaseAbandonedEvent(deps.settings.deletionGraceMs ?? DEFAULT_DELETION_GRACE_MS)], now);
  }
}

async function reportAll(deps: ReconcilerDeps, log: Logger, drafts: readonly PolicyDraft[], budgets: { readonly drafts: Plan['budgets']; readonly objects: readonly CollectionLoadBudget[] }, now: number): Promise<number> {
  // Independent objects: written a few at a time, as the Milvus actions are.
  const counts = await mapLimit(drafts, deps.settings.actionConcurrency, (draft) => report(deps, log, draft, now));
  let writes = counts.reduce((a, b) => a + b, 0);
  for (const bd of budgets.drafts) {
    const b = budgets.objects.find((x) => x.metadata.name === bd.name);
    const next = b ? renderBudgetStatus(b, bd, now) : undefined;
    if (!b || !next || jsonEqual(b.status, next)) continue;
    await deps.kube.patchBudgetStatus(b.metadata.name, b.status, next);
    writes++;
  }
  return writes;
}

async function report(deps: ReconcilerDeps, log: Logger, draft: PolicyDraft, now: number): Promise<number> {
  const pol = draft.policy;
  const next = renderPolicyStatus(draft, now);
  const prev = pol.status;
  const heartbeatDue = !prev?.lastSyncTime || now - Date.parse(prev.lastSyncTime) > deps.settings.statusHeartbeatMs;
  // Unchanged apart from lastSyncTime: write only when the heartbeat is due (and there is a sync time to refresh).
  if (sameStatus(prev, next) && !(heartbeatDue && next.lastSyncTime)) return 0;
  try {
    await deps.kube.patchPolicyStatus(pol.metadata.namespace ?? 'default', pol.metadata.name, prev, next);
  } catch (e: unknown) {
    if (isKubeError(e, 'NotFound')) return 0; // deleted meanwhile
    throw e;
  }
  await emitEvents(deps, log, pol, eventsFor(draft, prev, next), now);
  return 1;
}

async function emitEvents(deps: ReconcilerDeps, log: Logger, pol: CollectionLoadPolicy, events: readonly EventSpec[], now: number): Promise<void> {
  const target = { kind: 'CollectionLoadPolicy', namespace: pol.metadata.namespace ?? 'default', name: pol.metadata.name, ...(pol.metadata.uid ? { uid: pol.metadata.uid } : {}) };
  for (const ev of events) {
    try {
      await deps.kube.recordEvent({ target, ...ev, now: new Date(now) });
    } catch (e: unknown) {
      // An Event is a courtesy: losing one must not fail the pass.
      log.warn('could not record an event', { error: (e as Error).message, policy: `${target.namespace}/${target.name}`, reason: ev.reason });
    }
  }
}

/** When a cell wants another look before the resync (counted from the pass's end), as an instant; undefined: no sooner. */
function earlyLookAt(deps: ReconcilerDeps, p: Plan, drafts: readonly PolicyDraft[], acted: Acted, now: number): number | undefined {
  const candidates: number[] = [];
  // Poll only while Milvus is really loading something (a failed or held call is not in flight),
  // or right after a release, so a deleted policy's finalizer goes without waiting for the resync.
  const releasedForDeletion = acted.releasesDone > 0 && p.actions.some((a) => a.kind === 'release' && a.reason === 'PolicyDeleted');
  const inFlight = acted.loadsSent > drafts.reduce((n, d) => n + (d.loadedInPass?.length ?? 0), 0);
  if (p.loading || inFlight || releasedForDeletion) candidates.push(deps.settings.pollMs);
  const wake = [p.wakeAt, ...drafts.map(nextAttemptOf)].filter((x): x is number => x !== undefined);
  if (wake.length > 0) candidates.push(Math.max(0, Math.min(...wake) - now) + 50);
  return candidates.length > 0 ? now + Math.min(...candidates) : undefined;
}

/** What one pass covers; `touched`/`retouch` tell it of databases events touched while it runs (cells.ts). */
export interface PassRequest extends TouchedDatabases {
  /** Only the cells of these databases (events touched their policies); absent: the whole instance. */
  readonly databases?: ReadonlySet<string>;
}

/** What is shared by the cells of one pass. */
interface PassContext {
  readonly instance: string;
  readonly log: Logger;
  readonly resolve: Resolver;
  readonly usage?: UsageView;
  readonly unanswered: Map<string, ObservationFailure>;
}

/** What one cell's observe -> plan -> act -> report did. */
interface CellOutcome {
  /** With the final drafts (action outcomes fed back); the drafts themselves are not kept. */
  readonly plan: PlanSummary;
  /** Credentials fingerprints the cell used, for ConnectionPool.retain. */
  readonly usedCredentials: ReadonlySet<string>;
  readonly actions: number;
  readonly actionFailures: number;
  readonly statusWrites: number;
  readonly reachable: boolean;
  /** When the cell wants another look before the resync (poll, wake-up), as an instant. */
  readonly nextAt: number | undefined;
}

async function reconcileCell(deps: ReconcilerDeps, memory: PassMemory, pass: PassContext, cell: Cell): Promise<CellOutcome> {
  const now = deps.now();
  const { instance, log, usage } = pass;
  const { ins, observed, plan: p } = await observeAndPlan(
    { resolve: pass.resolve, pool: deps.pool, memory, cache: deps.cache, deletionGraceMs: deps.settings.deletionGraceMs },
    { instance, policies: cell.policies, budgets: cell.budgets, now, unanswered: pass.unanswered, ...(usage ? { usage } : {}) },
  );
  const milvusActions = p.actions.filter((a): a is MilvusAction => a.kind === 'load' || a.kind === 'release');
  let drafts = p.policies;
  let acted = noneActed();
  let statusWrites = 0;
  if (deps.settings.dryRun) {
    if (p.actions.length > 0) log.info('dry run: would act', { actions: p.actions.map((a) => ('collection' in a ? `${a.kind} ${a.database}/${a.collection}` : `${a.kind} ${a.policy}`)) });
  } else {
    const finalizers = p.actions.filter((a): a is FinalizerAction => a.kind === 'addFinalizer' || a.kind === 'removeFinalizer');
    const guards = await addFinalizerFirst(deps.kube, log, ins.byRef, finalizers.filter((a) => a.kind === 'addFinalizer'));
    acted = await actOnMilvus(deps, log, ins, milvusActions, guards);
    const completed = await settleLoads(ins, acted);
    drafts = p.policies.map((d) => withActionOutcomes(d, { failures: acted.failures.get(d.ref) ?? new Map(), refreshFailed: acted.refreshFailed.has(d.ref), completed: completed.get(d.ref), notes: acted.notes.get(d.ref) }, now));
    await writeFinalizers(deps, log, ins, finalizers.filter((a) => a.kind === 'removeFinalizer'), now);
    statusWrites = await reportAll(deps, log, drafts, { drafts: p.budgets, objects: cell.budgets }, now);
  }
  memory.remember(instance, drafts, now);
  // Idle policies are re-planned at every usage reading, so a search on a released collection loads it within a period.
  const wakeAt = usage ? Math.min(p.wakeAt ?? usage.nextReadAt, usage.nextReadAt) : p.wakeAt;
  return {
    plan: summarize({ ...p, policies: drafts }),
    usedCredentials: ins.usedCredentials,
    actions: milvusActions.length,
    actionFailures: acted.failed,
    statusWrites,
    reachable: [...observed.values()].every((o) => o.ok || o.reason !== 'MilvusUnavailable'),
    nextAt: earlyLookAt(deps, { ...p, ...(wakeAt !== undefined ? { wakeAt } : {}) }, drafts, acted, now),
  };
}

/** The instance's policies and budgets, from the caches now. */
function scopeOf(deps: ReconcilerDeps, instance: string): { policies: CollectionLoadPolicy[]; budgets: CollectionLoadBudget[] } {
  return { policies: deps.policies().filter((p) => instanceOfPolicy(p) === instance), budgets: deps.budgets().filter((b) => instanceOf(b.spec.milvusUri) === instance) };
}

export function createReconciler(deps: ReconcilerDeps): (instance: string, req?: PassRequest) => Promise<Outcome> {
  const memory = new PassMemory();
  return async (instance: string, req: PassRequest = {}): Promise<Outcome> => {
    const log = deps.log.child({ instance });
    const { policies: mine, budgets } = scopeOf(deps, instance);
    const budgeted = budgets.length > 0;
    const usage = mine.some((x) => x.spec.idle) ? await deps.usage?.observe(instance, budgets) : undefined;
    const pass: PassContext = { instance, log, resolve: secretResolver(deps.kube, deps.pool.allowedEndpoints), unanswered: new Map(), ...(usage ? { usage } : {}) };
    const wanted = req.databases ? new Set([...req.databases].map((d) => cellOfDatabase(d, budgeted))) : undefined;
    const next = cellSource(cellsOf(mine, budgets).filter((c) => !wanted || wanted.has(c.key)), budgeted, req, () => {
      const now = scopeOf(deps, instance);
      return cellsOf(now.policies, now.budgets);
    });
    // Keyed by cell: a cell done again (touched meanwhile) replaces its first outcome.
    const done = new Map<CellKey, CellOutcome>();
    for (let cell = next(); cell; cell = next()) {
      const started = performance.now();
      done.set(cell.key, await reconcileCell(deps, memory, pass, cell));
      log.debug('cell reconciled', { cell: cell.key, policies: cell.policies.length, ms: Math.round(performance.now() - started) });
    }
    const outcomes = [...done.values()];
    if (!req.databases) {
      // A pass over the whole instance knows every policy and credentials it still has.
      memory.keepOnly(instance, scopeOf(deps, instance).policies);
      await deps.pool.retain(instance, new Set(outcomes.flatMap((o) => [...o.usedCredentials])));
    }
    const milvusReachable = outcomes.every((o) => o.reachable);
    const sum = (f: (o: CellOutcome) => number): number => outcomes.reduce((n, o) => n + f(o), 0);
    deps.onReconciled?.(instance, { actions: sum((o) => o.actions), actionFailures: sum((o) => o.actionFailures), statusWrites: sum((o) => o.statusWrites), milvusReachable, plan: mergeSummaries(outcomes.map((o) => o.plan)), partial: req.databases !== undefined });
    if (!milvusReachable) return { ok: false, retry: true };
    // The resync counts from the end of the pass; a poll or wake-up from when its cell looked.
    const nextAt = Math.min(deps.now() + deps.settings.resyncMs, ...outcomes.flatMap((o) => (o.nextAt === undefined ? [] : [o.nextAt])));
    return { ok: true, requeueAfterMs: Math.max(0, nextAt - deps.now()) };
  };
}
