// Wiring: informers for policies and budgets feed instance keys into the
// work queue (and tell the pass schedule what changed); a resync timer
// re-adds every instance; the reconciler does the rest. Informer callbacks
// only enqueue.
import type { CollectionLoadBudget } from '../api/budget.ts';
import { instanceKey } from '../api/instance.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { KubeApiError, type KubeHttp } from '../kube/http.ts';
import { Informer } from '../kube/informer.ts';
import { realClock, type Clock } from '../kube/clock.ts';
import { kubePort } from '../kube/port.ts';
import { budgetsPath, policiesPath } from '../kube/resources.ts';
import type { Logger } from '../log/logger.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { ConnectionPool, type PortFactory } from './connections.ts';
import type { EndpointList } from './credential-scope.ts';
import { instrumentFactory, recordPlanGauges } from './instrument.ts';
import { EventRecorder } from './event-recorder.ts';
import { EstimateCache } from './observe.ts';
import { WorkQueue, type Outcome } from './queue.ts';
import { instanceOf } from './pass.ts';
import { UsageWatches } from './usage.ts';
import { createReconciler, type PassRequest, type ReconcileStats } from './reconcile.ts';
import { databaseOf } from './cells.ts';
import { PassSchedule } from './pass-schedule.ts';

export interface OperatorOptions {
  readonly http: KubeHttp;
  readonly log: Logger;
  readonly portFactory: PortFactory;
  /** Empty: all namespaces. */
  readonly namespaces: readonly string[];
  readonly resyncMs: number;
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly maxBackoffMs?: number;
  /** Server-side watch timeout (informer default 300 s); shorter re-opens watches more often and notices stalls sooner. */
  readonly watchTimeoutSeconds?: number;
  /** The one clock for the queue, the reconciler and the informers (tests run a day of schedule in seconds); default the real one. */
  readonly clock?: Clock;
  readonly onReconciled?: (instance: string, stats: ReconcileStats) => void;
  readonly metrics?: OperatorMetrics;
  /** --allowed-milvus-endpoints: endpoints any Secret may be sent to (docs/adr/0008). */
  readonly allowedMilvusEndpoints?: EndpointList;
  /**
   * Start as a standby: informers fill the caches (so a takeover is quick
   * and readiness means something) but nothing is reconciled until
   * `activate()`. Used with leader election.
   */
  readonly standby?: boolean;
}

export interface Operator {
  start(): Promise<void>;
  /** Stop taking work, let in-flight reconciles finish within graceMs, close Milvus clients. */
  stop(graceMs: number): Promise<void>;
  /** Begin reconciling (after winning leader election). */
  activate(): void;
  /** Stop reconciling at once: nothing new starts (after losing leadership). */
  deactivate(): void;
  synced(): boolean;
  /** Why the last reconcile of some instance failed on the Kubernetes side; undefined when none is failing. */
  kubeFailure(): string | undefined;
  queue: WorkQueue;
  /** Queues a pass over the whole instance (as a resync does). */
  reconcileNow(instance: string): void;
}

type PolicyObject = CollectionLoadPolicy & { metadata: { name: string } };
type BudgetObject = CollectionLoadBudget & { metadata: { name: string } };

interface Watched {
  metadata: { generation?: number; labels?: unknown; annotations?: unknown; finalizers?: unknown; deletionTimestamp?: unknown };
}

/**
 * True when only the status (or nothing we read) changed: our own status
 * writes come back as watch events, and reconciling for them would only
 * start another pass (controller-runtime's GenerationChangedPredicate, plus
 * the metadata the planner reads). The resync timer still covers all.
 */
export function onlyStatusChanged(prev: Watched | undefined, cur: Watched | undefined): boolean {
  if (!prev || !cur) return false;
  const a = prev.metadata;
  const b = cur.metadata;
  return a.generation !== undefined && a.generation === b.generation && a.deletionTimestamp === b.deletionTimestamp && sameReadMetadata(a, b);
}

/** Metadata the planner reads besides generation and deletion, each with the value its absence means. */
const READ_METADATA = { finalizers: [], annotations: {}, labels: {} } as const;

function sameReadMetadata(a: Watched['metadata'], b: Watched['metadata']): boolean {
  return (Object.keys(READ_METADATA) as (keyof typeof READ_METADATA)[]).every((k) => JSON.stringify(a[k] ?? READ_METADATA[k]) === JSON.stringify(b[k] ?? READ_METADATA[k]));
}

export function createOperator(o: OperatorOptions): Operator {
  const log = o.log;
  const clock = o.clock ?? realClock;
  const metrics = o.metrics;
  const pool = new ConnectionPool(instrumentFactory(o.portFactory, metrics), { log, ...(o.allowedMilvusEndpoints ? { allowedEndpoints: o.allowedMilvusEndpoints } : {}) });
  let active = !o.standby;
  const kubeFailing = new Map<string, string>();
  const cache = new EstimateCache();
  // The queue comes first and starts paused: informers feed it from their
  // first event, and it runs nothing until every cache is full (acting on a
  // partial view would, for example, load a collection a not-yet-seen budget
  // would defer). Its worker is `work`, below.
  const q = new WorkQueue((instance) => work(instance), { concurrency: o.concurrency, maxBackoffMs: o.maxBackoffMs ?? 30_000, clock });
  q.pause();
  // What each instance's next pass covers: the whole instance, or the cells events touched.
  const schedule = new PassSchedule();
  /**
   * An informer's change handler: the object's instance, and its former one
   * when the URI moved (a URI that cannot be parsed still gets its policy a
   * status, under a key of its own). `mark` tells the schedule what changed
   * there: a policy's database, or (a budget) the whole instance.
   */
  const enqueueInstanceOf =
    <T extends Watched>(uriOf: (o: T) => string | undefined, mark: (instance: string, o: T) => void) =>
    (_key: string, cur: T | undefined, prev: T | undefined): void => {
      if (onlyStatusChanged(prev, cur)) return;
      for (const o of [prev, cur]) {
        const uri = o ? uriOf(o) : undefined;
        if (!o || uri === undefined) continue;
        const instance = instanceOf(uri);
        mark(instance, o);
        q.add(instance);
      }
    };
  const watchOptions = { http: o.http, clock, ...(o.watchTimeoutSeconds ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}), onSynced: () => resumeWhenSynced() };
  const paths = o.namespaces.length > 0 ? o.namespaces.map((ns) => policiesPath(ns)) : [policiesPath()];
  const policyInformers = paths.map(
    (path) =>
      new Informer<PolicyObject>({
        ...watchOptions,
        name: `policies ${path}`,
        path,
        // A malformed object may lack spec.milvus: it is simply not enqueued.
        onChange: enqueueInstanceOf(
          (p) => p.spec?.milvus?.uri,
          (instance, p) => schedule.touch(instance, databaseOf(p)),
        ),
        onError: (err, attempt, retryInMs) => {
          metrics?.watchRestarts.inc({ resource: 'collectionloadpolicies' });
          log.warn('policy watch failed; restarting it', { error: err.message, attempt, retryInMs });
        },
      }),
  );
  const budgetInformer = new Informer<BudgetObject>({
    ...watchOptions,
    name: 'budgets',
    path: budgetsPath,
    onChange: enqueueInstanceOf(
      (b) => b.spec?.milvusUri,
      (instance) => schedule.wholeNow(instance),
    ),
    onError: (err, attempt, retryInMs) => {
      metrics?.watchRestarts.inc({ resource: 'collectionloadbudgets' });
      log.warn('budget watch failed; restarting it', { error: err.message, attempt, retryInMs });
    },
  });
  const informersSynced = (): boolean => policyInformers.every((i) => i.hasSynced()) && budgetInformer.hasSynced();
  function resumeWhenSynced(): void {
    if (informersSynced() && active) {
      log.info('caches synced; reconciling');
      q.resume();
    }
  }
  const kube = kubePort(o.http);
  const events = new EventRecorder({ write: (ev) => kube.recordEvent(ev), log, onLost: (reason) => metrics?.eventsLost.inc({ reason }) });
  const reconcile = createReconciler({
    // An Event is queued, not awaited: the pass goes on to the next status (event-recorder.ts).
    kube: {
      ...kube,
      recordEvent: (ev) => {
        events.record(ev);
        return Promise.resolve();
      },
    },
    pool,
    cache,
    log,
    now: () => clock.now(),
    policies: () => policyInformers.flatMap((i) => i.list()),
    budgets: () => budgetInformer.list(),
    usage: new UsageWatches(() => clock.now()),
    settings: { resyncMs: o.resyncMs, pollMs: 2000, actionConcurrency: 8, dryRun: o.dryRun, statusHeartbeatMs: 10 * 60_000 },
    onReconciled: (instance, stats) => {
      if (metrics) {
        if (!stats.partial) recordPlanGauges(metrics, instance, stats.plan);
        metrics.statusWrites.inc(stats.statusWrites);
        for (const a of stats.plan.actions) if (a.kind === 'load' || a.kind === 'release') metrics.milvusActions.inc({ action: a.kind, reason: a.reason });
        if (stats.actionFailures > 0) metrics.reconcileErrors.inc({ milvus: instance, reason: 'MilvusActionFailed' }, stats.actionFailures);
      }
      o.onReconciled?.(instance, stats);
    },
  });
  /** The instance's next pass, as the schedule says; its outcome goes back through the schedule. */
  async function work(instance: string): Promise<Outcome> {
    const pass = schedule.take(instance, clock.now());
    if (pass.kind === 'nothing') return { ok: true, requeueAfterMs: pass.dueInMs };
    const cells = pass.kind === 'cells' ? pass.databases : undefined;
    const outcome = await counted(instance, { ...(cells ? { databases: cells } : {}), touched: () => schedule.takeTouched(instance), retouch: (db) => schedule.touch(instance, db) });
    return schedule.passed(instance, pass.kind, outcome, clock.now());
  }
  /** One reconcile of an instance, counted and timed; a failure is retried with the queue's backoff. */
  async function counted(instance: string, request: PassRequest): Promise<Outcome> {
    const started = performance.now();
    const done = (result: string): void => {
      metrics?.reconcileTotal.inc({ milvus: instance, result });
      metrics?.reconcileDuration.observe({ milvus: instance }, (performance.now() - started) / 1000);
    };
    try {
      const outcome = await reconcile(instance, request);
      kubeFailing.delete(instance);
      done(outcome.ok ? 'ok' : 'unreachable');
      if (!outcome.ok) {
        metrics?.reconcileErrors.inc({ milvus: instance, reason: 'MilvusUnavailable' });
        metrics?.queueRetries.inc();
      }
      log.debug('reconciled', { instance, databases: request.databases ? [...request.databases].join(',') : '(all)', ms: Math.round(performance.now() - started) });
      return outcome;
    } catch (e: unknown) {
      const kube = e instanceof KubeApiError;
      if (kube) kubeFailing.set(instance, (e as Error).message);
      done('error');
      metrics?.reconcileErrors.inc({ milvus: instance, reason: kube ? 'KubernetesApi' : 'Internal' });
      metrics?.queueRetries.inc();
      log.error('reconcile failed; retrying with backoff', { instance, error: (e as Error).message });
      return { ok: false, retry: true };
    }
  }
  let resyncTimer: NodeJS.Timeout | undefined;
  const allInstances = (): Set<string> => {
    const keys = new Set<string>();
    for (const i of policyInformers) for (const p of i.list()) keys.add(instanceOf(p.spec.milvus.uri));
    for (const b of budgetInformer.list()) {
      const k = instanceKey(b.spec.milvusUri);
      if (k) keys.add(k);
    }
    return keys;
  };
  /** A pass over the whole instance, queued now (the resync timer's, and tests'). */
  const reconcileNow = (instance: string): void => {
    schedule.wholeNow(instance);
    q.add(instance);
  };
  metrics?.readQueueDepth(() => q.depth());
  metrics?.leader.set(active ? 1 : 0);
  return {
    queue: q,
    reconcileNow,
    synced: informersSynced,
    kubeFailure: () => (active ? kubeFailing.values().next().value : undefined),
    activate() {
      active = true;
      metrics?.leader.set(1);
      resumeWhenSynced();
    },
    deactivate() {
      active = false;
      metrics?.leader.set(0);
      q.pause();
    },
    async start() {
      for (const i of [...policyInformers, budgetInformer]) {
        i.start().catch((e: unknown) => log.error('informer stopped unexpectedly', { error: (e as Error).message }));
      }
      // The timer is the safety net for anything an event missed.
      // Every reconcile requeues its instance after at most one resync, so
      // this only adds instances the queue has lost track of: adding them all
      // would run a second pass per period for each.
      resyncTimer = setInterval(() => {
        for (const k of allInstances()) if (!q.has(k)) reconcileNow(k);
      }, o.resyncMs);
      await Promise.resolve();
    },
    async stop(graceMs: number) {
      clearInterval(resyncTimer);
      for (const i of [...policyInformers, budgetInformer]) i.stop();
      await q.shutdown(graceMs);
      // What the last passes queued, within the same grace: an Event left unwritten at exit is lost, not wrong.
      await Promise.race([events.drain(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await pool.closeAll();
    },
  };
}
