// Every metric the operator exports, in one place, so the names in
// docs/operations.md, the alert rules and the dashboard have one source.
import { Registry, type Counter, type Gauge, type Histogram } from './registry.ts';

export const PREFIX = 'milvus_load_operator_';

// Per-Milvus series carry the label `milvus` (the instance's host:port), not
// `instance`: Prometheus sets `instance` on every target (the pod), and the
// two would clash.

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly queueRetries: Counter;
  readonly milvusRequests: Counter;
  readonly milvusRequestDuration: Histogram;
  readonly milvusActions: Counter;
  readonly statusWrites: Counter;
  readonly collections: Gauge;
  readonly policies: Gauge;
  readonly budgetUsed: Gauge;
  readonly budgetLimit: Gauge;
  readonly leader: Gauge;
  readonly watchRestarts: Counter;
}

export function createOperatorMetrics(version: string, memory: () => { rss: number; heapUsed: number } = () => process.memoryUsage(), startTimeSeconds = Math.floor(performance.timeOrigin / 1000)): OperatorMetrics {
  const r = new Registry();
  const m: OperatorMetrics = {
    registry: r,
    reconcileTotal: r.counter(`${PREFIX}reconcile_total`, 'Reconciles of a Milvus instance, by result (ok, error, unreachable).', ['milvus', 'result']),
    reconcileErrors: r.counter(`${PREFIX}reconcile_errors_total`, 'Problems met while reconciling, by reason (a Milvus error reason, KubernetesApi, or Internal).', ['milvus', 'reason']),
    reconcileDuration: r.histogram(`${PREFIX}reconcile_duration_seconds`, 'Time one reconcile of a Milvus instance took.', ['milvus']),
    queueDepth: r.gauge(`${PREFIX}queue_depth`, 'Milvus instances waiting in the work queue (not counting delayed requeues).'),
    queueRetries: r.counter(`${PREFIX}queue_retries_total`, 'Reconciles scheduled again with backoff after a failure.'),
    milvusRequests: r.counter(`${PREFIX}milvus_requests_total`, 'Calls to Milvus, by port method and outcome (ok or the error reason).', ['method', 'outcome']),
    milvusRequestDuration: r.histogram(`${PREFIX}milvus_request_duration_seconds`, 'Latency of calls to Milvus, by port method.', ['method']),
    milvusActions: r.counter(`${PREFIX}milvus_actions_total`, 'Loads and releases the operator decided on, by why (Declared, Drift, ScheduleOpened, ScheduleClosed, Preempted, OverBudget, PolicyDeleted, Refresh, Reconfigure). Outcomes are in milvus_requests_total{method="load"|"release"}.', ['action', 'reason']),
    statusWrites: r.counter(`${PREFIX}status_writes_total`, 'Status patches written to the Kubernetes API.'),
    collections: r.gauge(`${PREFIX}collections`, 'Collections selected by policies, by the state the operator reports.', ['milvus', 'state']),
    policies: r.gauge(`${PREFIX}policies`, 'Policies per Milvus instance, by whether they are Ready.', ['milvus', 'ready']),
    budgetUsed: r.gauge(`${PREFIX}budget_used_bytes`, 'Estimated bytes a CollectionLoadBudget has in use.', ['budget']),
    budgetLimit: r.gauge(`${PREFIX}budget_limit_bytes`, 'The limit of a CollectionLoadBudget, in bytes.', ['budget']),
    leader: r.gauge(`${PREFIX}leader`, '1 when this replica is the one acting (leader, or leader election off); 0 on a standby.'),
    watchRestarts: r.counter(`${PREFIX}watch_restarts_total`, 'Watches of the Kubernetes API restarted after an error or a stall.', ['resource']),
  };
  r.gauge(`${PREFIX}build_info`, 'Always 1; the version label says which build runs.', ['version']).set({ version }, 1);
  const rss = r.gauge('process_resident_memory_bytes', 'Resident memory of the operator process.');
  const heap = r.gauge('nodejs_heap_used_bytes', 'V8 heap in use.');
  r.gauge('process_start_time_seconds', 'When the process started, in seconds since the Unix epoch.').set(undefined, startTimeSeconds);
  r.onCollect(() => {
    const mem = memory();
    rss.set(undefined, mem.rss);
    heap.set(undefined, mem.heapUsed);
  });
  m.leader.set(undefined, 0);
  m.queueDepth.set(undefined, 0);
  return m;
}
