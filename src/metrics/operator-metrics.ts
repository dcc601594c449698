// Every metric the operator exports, in one place, so the names in
// docs/operations.md, the alert rules and the dashboard have one source.
// prom-client does the registry and the text format (ADR 0006); every metric
// goes to this registry only, never to prom-client's global one.
//
// Label values come from our own code (instance keys, reasons, states,
// method names), never from Secrets; `redact` in the logger does not apply
// here, so nothing secret may be passed as a label.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const PREFIX = 'milvus_load_operator_';

/** Seconds buckets from 5 ms to 60 s: reconciles and RPCs both live in that range. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// Per-Milvus series carry the label `milvus` (the instance's host:port), not
// `instance`: Prometheus sets `instance` on every target (the pod), and the
// two would clash.

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'milvus' | 'result'>;
  readonly reconcileErrors: Counter<'milvus' | 'reason'>;
  readonly reconcileDuration: Histogram<'milvus'>;
  readonly queueDepth: Gauge;
  readonly queueRetries: Counter;
  readonly milvusRequests: Counter<'method' | 'outcome'>;
  readonly milvusRequestDuration: Histogram<'method'>;
  readonly milvusActions: Counter<'action' | 'reason'>;
  readonly statusWrites: Counter;
  readonly collections: Gauge<'milvus' | 'state'>;
  readonly policies: Gauge<'milvus' | 'ready'>;
  readonly budgetUsed: Gauge<'budget'>;
  readonly budgetLimit: Gauge<'budget'>;
  readonly leader: Gauge;
  readonly watchRestarts: Counter<'resource'>;
  readonly eventsLost: Counter<'reason'>;
  /** queue_depth is read from `depth` at every scrape (the queue is created after the metrics). */
  readQueueDepth(depth: () => number): void;
}

export function createOperatorMetrics(version: string): OperatorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> => new Counter({ name: PREFIX + name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> => new Gauge({ name: PREFIX + name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> => new Histogram({ name: PREFIX + name, help, labelNames, buckets: [...DEFAULT_BUCKETS], registers });
  let depth = (): number => 0;
  const m: OperatorMetrics = {
    registry,
    reconcileTotal: counter('reconcile_total', 'Reconciles of a Milvus instance, by result (ok, error, unreachable).', ['milvus', 'result']),
    reconcileErrors: counter('reconcile_errors_total', 'Problems met while reconciling, by reason (a Milvus error reason, KubernetesApi, or Internal).', ['milvus', 'reason']),
    reconcileDuration: histogram('reconcile_duration_seconds', 'Time one reconcile of a Milvus instance took.', ['milvus']),
    queueDepth: new Gauge({
      name: `${PREFIX}queue_depth`,
      help: 'Milvus instances waiting in the work queue (not counting delayed requeues).',
      registers,
      collect(): void {
        this.set(depth());
      },
    }),
    queueRetries: counter('queue_retries_total', 'Reconciles scheduled again with backoff after a failure.'),
    milvusRequests: counter('milvus_requests_total', 'Calls to Milvus, by port method and outcome (ok or the error reason).', ['method', 'outcome']),
    milvusRequestDuration: histogram('milvus_request_duration_seconds', 'Latency of calls to Milvus, by port method.', ['method']),
    milvusActions: counter('milvus_actions_total', 'Loads and releases the operator decided on, by why (Declared, Drift, ScheduleOpened, ScheduleClosed, Preempted, OverBudget, PolicyDeleted, Refresh, Reconfigure). Outcomes are in milvus_requests_total{method="load"|"release"}.', ['action', 'reason']),
    statusWrites: counter('status_writes_total', 'Status patches written to the Kubernetes API.'),
    collections: gauge('collections', 'Collections selected by policies, by the state the operator reports.', ['milvus', 'state']),
    policies: gauge('policies', 'Policies per Milvus instance, by whether they are Ready.', ['milvus', 'ready']),
    budgetUsed: gauge('budget_used_bytes', 'Estimated bytes a CollectionLoadBudget has in use.', ['budget']),
    budgetLimit: gauge('budget_limit_bytes', 'The limit of a CollectionLoadBudget, in bytes.', ['budget']),
    leader: gauge('leader', '1 when this replica is the one acting (leader, or leader election off); 0 on a standby.'),
    watchRestarts: counter('watch_restarts_total', 'Watches of the Kubernetes API restarted after an error or a stall.', ['resource']),
    eventsLost: counter('events_lost_total', 'Kubernetes Events not written, by reason: dropped (1,000 were already waiting to be written) or failed (the Kubernetes API refused or did not answer).', ['reason']),
    readQueueDepth(read) {
      depth = read;
    },
  };
  gauge('build_info', 'Always 1; the version label says which build runs.', ['version']).set({ version }, 1);
  // process_* (CPU, resident memory, open fds, start time) and nodejs_*
  // (heap and heap spaces, external memory, event-loop lag, GC, handles).
  collectDefaultMetrics({ register: registry });
  // Our name from before prom-client, the same value as its
  // nodejs_heap_size_used_bytes: the dashboard and people's queries use it.
  new Gauge({
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use.',
    registers,
    collect(): void {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  m.leader.set(0);
  return m;
}
