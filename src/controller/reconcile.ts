// One reconcile of one Milvus instance: observe -> plan -> act -> report.
// It works from the current state of the world (caches and Milvus), never
// from "what changed", and rebuilds every status from observation.
import type { CollectionLoadBudget } from '../api/budget.ts';
import { RELEASE_FINALIZER } from '../api/constants.ts';
import { instanceKey } from '../api/instance.ts';
import type { CollectionLoadPolicy, PolicyStatus } from '../api/policy.ts';
import { validatePolicy } from '../api/resources.ts';
import { formatFieldError } from '../api/validate.ts';
import { KubeApiError, type KubeHttp } from '../kube/http.ts';
import { patchBudgetStatus, patchPolicyStatus, recordEvent, setFinalizers } from '../kube/resources.ts';
import type { Logger } from '../log/logger.ts';
import { ADVICE, MilvusError } from '../milvus/errors.ts';
import { plan } from '../planner/plan.ts';
import { renderBudgetStatus, renderPolicyStatus, withActionFailures } from '../planner/status.ts';
import type { MilvusAction, ObservedDatabase, Plan, PolicyDraft, PolicyInput } from '../planner/types.ts';
import { ConnectionPool, resolveConnection } from './connections.ts';
import { EstimateCache, needsFor, observeDatabase } from './observe.ts';
import type { Outcome } from './queue.ts';

export interface ReconcilerDeps {
  readonly http: KubeHttp;
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
  };
  readonly onReconciled?: (instance: string, stats: ReconcileStats) => void;
}

export interface ReconcileStats {
  readonly actions: number;
  readonly actionFailures: number;
  readonly statusWrites: number;
  readonly milvusReachable: boolean;
  readonly plan: Plan;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

const refOf = (p: CollectionLoadPolicy): string => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

/**
 * JSON with object keys sorted at every level. The apiserver returns objects
 * with their keys sorted; we render ours in insertion order. Comparing plain
 * JSON.stringify output would call every status changed and rewrite it on
 * every pass (and each write's watch event would trigger another pass).
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/** Status equality that ignores the heartbeat field and key order. */
export function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  if (!a) return false;
  const strip = (s: PolicyStatus): string => canonicalJson({ ...s, lastSyncTime: undefined });
  return strip(a) === strip(b);
}

type Port = ReturnType<ConnectionPool['get']>;
type Failures = Map<string, Map<string, { reason: string; message: string }>>;

interface Inputs {
  readonly mine: CollectionLoadPolicy[];
  readonly inputs: PolicyInput[];
  readonly groups: Map<string, { port: Port; database: string }>;
  readonly used: Set<string>;
}

async function resolveInputs(deps: ReconcilerDeps, instance: string, mine: CollectionLoadPolicy[]): Promise<Inputs> {
  const used = new Set<string>();
  const groups = new Map<string, { port: Port; database: string }>();
  const inputs = await Promise.all(
    mine.map(async (raw): Promise<PolicyInput> => {
      const v = validatePolicy(raw);
      const policy = v.ok ? { ...v.object, status: raw.status } : raw;
      const problems = v.ok ? [] : v.errors.map(formatFieldError);
      const db = policy.spec.milvus.database ?? 'default';
      let conn;
      try {
        conn = await resolveConnection(deps.http, policy);
      } catch (e: unknown) {
        return { policy, problems, observationKey: `unresolved|${db}`, connectionFailure: { reason: 'SecretUnreadable', message: `cannot read the Secret: ${(e as Error).message}` } };
      }
      if (!conn.ok) return { policy, problems, observationKey: `unresolved|${db}`, connectionFailure: { reason: conn.reason, message: conn.message } };
      const poolKey = `${instance}|${conn.credentialKey}`;
      used.add(poolKey);
      const observationKey = `${conn.credentialKey}|${db}`;
      if (!groups.has(observationKey)) groups.set(observationKey, { port: deps.pool.get(poolKey, conn.settings), database: db });
      return { policy, problems, observationKey };
    }),
  );
  return { mine, inputs, groups, used };
}

async function observeAll(deps: ReconcilerDeps, ins: Inputs, budgets: readonly CollectionLoadBudget[], now: number): Promise<Map<string, ObservedDatabase>> {
  const byKey = new Map<string, PolicyInput[]>();
  for (const i of ins.inputs) {
    const list = byKey.get(i.observationKey);
    if (list) list.push(i);
    else byKey.set(i.observationKey, [i]);
  }
  const observed = new Map<string, ObservedDatabase>();
  await mapLimit([...ins.groups.entries()], 4, async ([key, g]) => {
    const needs = needsFor(g.database, byKey.get(key) ?? [], budgets.length > 0);
    observed.set(key, await observeDatabase(g.port, needs, deps.cache, now));
  });
  return observed;
}

/** Runs the Milvus actions; returns the failures per policy and collection. */
async function actOnMilvus(deps: ReconcilerDeps, log: Logger, ins: Inputs, actions: readonly MilvusAction[]): Promise<{ failures: Failures; refreshFailed: Set<string>; count: number }> {
  const failures: Failures = new Map();
  const refreshFailed = new Set<string>();
  let count = 0;
  await mapLimit(actions, deps.settings.actionConcurrency, async (a) => {
    const g = ins.groups.get(a.observationKey);
    if (!g) return;
    const alog = log.child({ policy: a.policy, database: a.database, collection: a.collection });
    try {
      if (a.kind === 'load') await g.port.load({ database: a.database, collection: a.collection, ...(a.partitions ? { partitions: a.partitions } : {}), ...a.options, refresh: a.refresh });
      else await g.port.release({ database: a.database, collection: a.collection, ...(a.partitions ? { partitions: a.partitions } : {}) });
      deps.cache.forget(a.database, a.collection);
      alog.info(`${a.kind} ${a.reason === 'Declared' ? 'requested' : `(${a.reason})`}`, { action: a.kind, reason: a.reason, ...(a.partitions ? { partitions: a.partitions } : {}) });
    } catch (e: unknown) {
      // A release of something already gone is a success.
      if (a.kind === 'release' && e instanceof MilvusError && e.kind === 'notFound') return;
      count++;
      const reason = e instanceof MilvusError ? e.reason : 'MilvusError';
      const message = e instanceof MilvusError ? `${a.kind} failed: ${e.message}; ${ADVICE[e.reason]}` : `${a.kind} failed: ${String(e)}`;
      alog.warn(message, { action: a.kind, reason });
      const m = failures.get(a.policy) ?? new Map<string, { reason: string; message: string }>();
      m.set(a.collection, { reason: a.kind === 'load' ? reason : `Release${reason}`, message });
      failures.set(a.policy, m);
      if (a.kind === 'load' && a.refresh) refreshFailed.add(a.policy);
    }
  });
  return { failures, refreshFailed, count };
}

async function applyFinalizers(deps: ReconcilerDeps, log: Logger, mine: readonly CollectionLoadPolicy[], actions: readonly Plan['actions'][number][]): Promise<void> {
  for (const a of actions) {
    if (a.kind !== 'addFinalizer' && a.kind !== 'removeFinalizer') continue;
    const pol = mine.find((x) => refOf(x) === a.policy);
    if (!pol) continue;
    const current = pol.metadata.finalizers ?? [];
    const next = a.kind === 'addFinalizer' ? [...current, RELEASE_FINALIZER] : current.filter((f) => f !== RELEASE_FINALIZER);
    try {
      await setFinalizers(deps.http, pol.metadata.namespace ?? 'default', pol.metadata.name, pol.metadata.resourceVersion ?? '', next);
      log.info(`${a.kind === 'addFinalizer' ? 'added' : 'removed'} finalizer`, { policy: a.policy });
    } catch (e: unknown) {
      if (e instanceof KubeApiError && (e.status === 409 || e.status === 404)) continue; // stale or gone: the next pass sees the new object
      throw e;
    }
  }
}

async function reportAll(deps: ReconcilerDeps, log: Logger, p: Plan, acted: { failures: Failures; refreshFailed: Set<string>; budgets: readonly CollectionLoadBudget[] }, now: number): Promise<number> {
  const { budgets } = acted;
  let writes = 0;
  // Independent objects: written a few at a time, as the Milvus actions are.
  const counts = await mapLimit(p.policies, deps.settings.actionConcurrency, (draft) =>
    report(deps, log, withActionFailures(draft, acted.failures.get(draft.ref) ?? new Map(), acted.refreshFailed.has(draft.ref)), now),
  );
  writes += counts.reduce((a, b) => a + b, 0);
  for (const bd of p.budgets) {
    const b = budgets.find((x) => x.metadata.name === bd.name);
    const next = b ? renderBudgetStatus(b, bd, now) : undefined;
    if (!b || !next || canonicalJson(b.status) === canonicalJson(next)) continue;
    await patchBudgetStatus(deps.http, b.metadata.name, b.status, next);
    writes++;
  }
  return writes;
}

/**
 * A collection we recorded as Loading (or Failed) that Milvus now shows as
 * not loaded may have been given up by Milvus (out of memory, its own load
 * timeout). Milvus replays the reason on GetLoadingProgress: ask, once per
 * such collection.
 */
async function probeAbandonedLoads(ins: Inputs, observed: Map<string, ObservedDatabase>): Promise<void> {
  for (const input of ins.inputs) {
    const db = observed.get(input.observationKey);
    const g = ins.groups.get(input.observationKey);
    if (!db?.ok || !g) continue;
    for (const prev of input.policy.status?.collections ?? []) {
      if (prev.state !== 'Loading' && prev.state !== 'Failed') continue;
      const o = db.collections.get(prev.name);
      if (!o || o.loadState !== 'NotLoad' || o.loadError) continue;
      try {
        await g.port.loadProgress(g.database, prev.name);
      } catch (e: unknown) {
        if (e instanceof MilvusError && e.kind !== 'notFound' && e.reason !== 'CollectionNotLoaded') {
          (db.collections as Map<string, typeof o>).set(prev.name, { ...o, loadError: { reason: e.reason, message: `${e.message}; ${ADVICE[e.reason]}` } });
        }
      }
    }
  }
}

export function createReconciler(deps: ReconcilerDeps): (instance: string) => Promise<Outcome> {
  return async (instance: string): Promise<Outcome> => {
    const now = deps.now();
    const log = deps.log.child({ instance });
    const budgets = deps.budgets().filter((b) => instanceKey(b.spec.milvusUri) === instance);
    const ins = await resolveInputs(deps, instance, deps.policies().filter((p) => instanceKey(p.spec.milvus.uri) === instance));
    const observed = await observeAll(deps, ins, budgets, now);
    await probeAbandonedLoads(ins, observed);
    const milvusReachable = [...observed.values()].every((o) => o.ok || o.reason !== 'MilvusUnavailable');
    const p = plan({ instance, policies: ins.inputs, budgets, observed, now });
    const milvusActions = p.actions.filter((a): a is MilvusAction => a.kind === 'load' || a.kind === 'release');
    let acted = { failures: new Map() as Failures, refreshFailed: new Set<string>(), count: 0 };
    let statusWrites = 0;
    if (deps.settings.dryRun) {
      if (p.actions.length > 0) log.info('dry run: would act', { actions: p.actions.map((a) => ('collection' in a ? `${a.kind} ${a.database}/${a.collection}` : `${a.kind} ${a.policy}`)) });
    } else {
      acted = await actOnMilvus(deps, log, ins, milvusActions);
      await applyFinalizers(deps, log, ins.mine, p.actions);
      statusWrites = await reportAll(deps, log, p, { ...acted, budgets }, now);
    }
    await deps.pool.retain(`${instance}|`, ins.used);
    deps.onReconciled?.(instance, { actions: milvusActions.length, actionFailures: acted.count, statusWrites, milvusReachable, plan: p });
    if (!milvusReachable) return { ok: false, retry: true };
    const candidates = [deps.settings.resyncMs];
    if (p.loading || milvusActions.some((a) => a.kind === 'load')) candidates.push(deps.settings.pollMs);
    if (p.wakeAt !== undefined) candidates.push(Math.max(0, p.wakeAt - now) + 50);
    return { ok: true, requeueAfterMs: Math.min(...candidates) };
  };
}

async function report(deps: ReconcilerDeps, log: Logger, draft: PolicyDraft, now: number): Promise<number> {
  const pol = draft.policy;
  const next = renderPolicyStatus(draft, now);
  const prev = pol.status;
  const heartbeatDue = !prev?.lastSyncTime || now - Date.parse(prev.lastSyncTime) > deps.settings.statusHeartbeatMs;
  // Unchanged apart from lastSyncTime: write only when the heartbeat is due (and there is a sync time to refresh).
  if (sameStatus(prev, next) && !(heartbeatDue && next.lastSyncTime)) return 0;
  const ns = pol.metadata.namespace ?? 'default';
  try {
    await patchPolicyStatus(deps.http, ns, pol.metadata.name, prev, next);
  } catch (e: unknown) {
    if (e instanceof KubeApiError && e.status === 404) return 0;
    throw e;
  }
  await emitEvents(deps, log, draft, eventsFor(draft, prev, next), now);
  return 1;
}

type EventSpec = { type: 'Normal' | 'Warning'; reason: string; message: string };

/**
 * One Event per (type, reason) per pass, not one per collection: a policy of
 * 100 collections starting to load is one `LoadStarted` naming them, so a
 * cold start does not flood the API server with Events.
 */
function summarize(items: readonly { name: string; ev: EventSpec }[]): EventSpec[] {
  const groups = new Map<string, { name: string; ev: EventSpec }[]>();
  for (const x of items) {
    const k = `${x.ev.type}|${x.ev.reason}`;
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as { name: string; ev: EventSpec };
    if (g.length === 1) return first.ev;
    const names = g.slice(0, 5).map((x) => x.name).join(', ');
    const more = g.length > 5 ? ` and ${g.length - 5} more` : '';
    return { ...first.ev, message: `${g.length} collections (${names}${more}); first: ${first.ev.message}` };
  });
}

function collectionEvent(c: NonNullable<PolicyStatus['collections']>[number], old: NonNullable<PolicyStatus['collections']>[number] | undefined): EventSpec | undefined {
  if (old?.state === c.state && old.reason === c.reason) return undefined;
  const text = `${c.name}: ${c.message ?? ''}`;
  if (c.reason === 'LoadStarted') return { type: 'Normal', reason: 'LoadStarted', message: text };
  if (c.reason === 'DriftCorrected') return { type: 'Warning', reason: 'DriftCorrected', message: text };
  if (c.state === 'Loaded' && old?.state === 'Loading') return { type: 'Normal', reason: 'Loaded', message: `${c.name} loaded` };
  if (c.state === 'Released' && (old?.state === 'Loaded' || old?.state === 'Loading')) return { type: 'Normal', reason: 'Released', message: text };
  if (['Failed', 'Conflict', 'NotFound', 'Deferred'].includes(c.state)) return { type: 'Warning', reason: c.reason ?? c.state, message: text };
  return undefined;
}

/** Events for what changed between two statuses: collection transitions, and a policy-level problem appearing. */
export function eventsFor(draft: PolicyDraft, prev: PolicyStatus | undefined, next: PolicyStatus): EventSpec[] {
  const before = new Map((prev?.collections ?? []).map((c) => [c.name, c]));
  const perCollection = (next.collections ?? []).map((c) => ({ name: c.name, ev: collectionEvent(c, before.get(c.name)) })).filter((x): x is { name: string; ev: EventSpec } => x.ev !== undefined);
  const events = summarize(perCollection);
  const ready = next.conditions?.find((c) => c.type === 'Ready');
  const was = prev?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && draft.blockers.length > 0 && (was?.reason !== ready.reason || was.status !== ready.status)) {
    events.push({ type: 'Warning', reason: ready.reason, message: ready.message });
  }
  return events.slice(0, 10);
}

async function emitEvents(deps: ReconcilerDeps, log: Logger, draft: PolicyDraft, events: readonly EventSpec[], now: number): Promise<void> {
  const pol = draft.policy;
  const target = { kind: 'CollectionLoadPolicy', namespace: pol.metadata.namespace ?? 'default', name: pol.metadata.name, ...(pol.metadata.uid ? { uid: pol.metadata.uid } : {}) };
  for (const ev of events) {
    try {
      await recordEvent(deps.http, { target, ...ev, now: new Date(now) });
    } catch (e: unknown) {
      log.warn('could not record an event', { error: (e as Error).message, policy: `${target.namespace}/${target.name}` });
    }
  }
}
