// Wiring: informers for policies and budgets feed instance keys into the
// work queue; a resync timer re-adds every instance; the reconciler does the
// rest. Informer callbacks only enqueue.
import type { CollectionLoadBudget } from '../api/budget.ts';
import { instanceKey } from '../api/instance.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { KubeHttp } from '../kube/http.ts';
import { Informer } from '../kube/informer.ts';
import { budgetsPath, policiesPath } from '../kube/resources.ts';
import type { Logger } from '../log/logger.ts';
import { ConnectionPool, type PortFactory } from './connections.ts';
import { EstimateCache } from './observe.ts';
import { WorkQueue } from './queue.ts';
import { createReconciler, type ReconcileStats } from './reconcile.ts';

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
  /** Injected clock (tests run a day of schedule in seconds); default Date.now. */
  readonly now?: () => number;
  readonly onReconciled?: (instance: string, stats: ReconcileStats) => void;
}

export interface Operator {
  start(): Promise<void>;
  stop(graceMs: number): Promise<void>;
  synced(): boolean;
  queue: WorkQueue;
}

type PolicyObject = CollectionLoadPolicy & { metadata: { name: string } };
type BudgetObject = CollectionLoadBudget & { metadata: { name: string } };

export function createOperator(o: OperatorOptions): Operator {
  const log = o.log;
  const pool = new ConnectionPool(o.portFactory);
  const cache = new EstimateCache();
  const policyInformers: Informer<PolicyObject>[] = [];
  const queueRef: { q?: WorkQueue } = {};
  const informersSynced = (): boolean => policyInformers.every((i) => i.hasSynced()) && budgetInformer.hasSynced();
  // Nothing is reconciled until every cache is full: acting on a partial view
  // would, for example, load a collection a not-yet-seen budget would defer.
  function resumeWhenSynced(): void {
    if (queueRef.q && informersSynced()) {
      log.info('caches synced; reconciling');
      queueRef.q.resume();
    }
  }
  const enqueueUri = (uri: string | undefined): void => {
    const key = uri ? instanceKey(uri) : undefined;
    if (key && queueRef.q) queueRef.q.add(key);
  };
  const paths = o.namespaces.length > 0 ? o.namespaces.map((ns) => policiesPath(ns)) : [policiesPath()];
  for (const path of paths) {
    policyInformers.push(
      new Informer<PolicyObject>({
        name: `policies ${path}`,
        http: o.http,
        path,
        onChange: (_key, cur, prev) => {
          enqueueUri(cur?.spec?.milvus?.uri);
          if (prev?.spec?.milvus?.uri !== cur?.spec?.milvus?.uri) enqueueUri(prev?.spec?.milvus?.uri);
        },
        onError: (err, attempt, retryInMs) => log.warn('policy watch failed; restarting it', { error: err.message, attempt, retryInMs }),
        onSynced: () => resumeWhenSynced(),
      }),
    );
  }
  const budgetInformer = new Informer<BudgetObject>({
    name: 'budgets',
    http: o.http,
    path: budgetsPath,
    onChange: (_key, cur, prev) => {
      enqueueUri(cur?.spec?.milvusUri);
      if (prev?.spec?.milvusUri !== cur?.spec?.milvusUri) enqueueUri(prev?.spec?.milvusUri);
    },
    onError: (err, attempt, retryInMs) => log.warn('budget watch failed; restarting it', { error: err.message, attempt, retryInMs }),
    onSynced: () => resumeWhenSynced(),
  });
  const reconcile = createReconciler({
    http: o.http,
    pool,
    cache,
    log,
    now: o.now ?? (() => Date.now()),
    policies: () => policyInformers.flatMap((i) => i.list()),
    budgets: () => budgetInformer.list(),
    settings: { resyncMs: o.resyncMs, pollMs: 2000, actionConcurrency: 8, dryRun: o.dryRun, statusHeartbeatMs: 10 * 60_000 },
    ...(o.onReconciled ? { onReconciled: o.onReconciled } : {}),
  });
  const q = new WorkQueue(
    async (instance) => {
      const started = Date.now();
      try {
        const outcome = await reconcile(instance);
        log.debug('reconciled', { instance, ms: Date.now() - started });
        return outcome;
      } catch (e: unknown) {
        log.error('reconcile failed; retrying with backoff', { instance, error: (e as Error).message });
        return { ok: false, retry: true };
      }
    },
    { concurrency: o.concurrency, maxBackoffMs: o.maxBackoffMs ?? 30_000 },
  );
  let resyncTimer: NodeJS.Timeout | undefined;
  const allInstances = (): Set<string> => {
    const keys = new Set<string>();
    for (const i of policyInformers) for (const p of i.list()) {
      const k = instanceKey(p.spec.milvus.uri);
      if (k) keys.add(k);
    }
    for (const b of budgetInformer.list()) {
      const k = instanceKey(b.spec.milvusUri);
      if (k) keys.add(k);
    }
    return keys;
  };
  queueRef.q = q;
  q.pause();
  return {
    queue: q,
    synced: informersSynced,
    async start() {
      for (const i of [...policyInformers, budgetInformer]) {
        i.start().catch((e: unknown) => log.error('informer stopped unexpectedly', { error: (e as Error).message }));
      }
      // The timer is the safety net for anything an event missed.
      resyncTimer = setInterval(() => {
        for (const k of allInstances()) q.add(k);
      }, o.resyncMs);
      await Promise.resolve();
    },
    async stop(graceMs: number) {
      clearInterval(resyncTimer);
      for (const i of [...policyInformers, budgetInformer]) i.stop();
      await q.shutdown(graceMs);
      await pool.closeAll();
    },
  };
}
