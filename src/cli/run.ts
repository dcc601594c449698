// `milvus-load-operator run`: the operator, against the current kubeconfig
// (or the in-cluster service account).
import { realClock } from '../kube/clock.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createOperator } from '../controller/operator.ts';
import { ALLOWED_ENDPOINTS_FLAG, parseEndpointList, type EndpointList } from '../controller/credential-scope.ts';
import { KubeHttp } from '../kube/http.ts';
import { loadKubeAuth } from '../kube/kubeconfig.ts';
import { LeaderElector, validateLeaderTimings } from '../kube/leader.ts';
import { createLogger, isLevel, type Level } from '../log/logger.ts';
import { createOperatorMetrics } from '../metrics/operator-metrics.ts';
import { parseBindAddress, serveEndpoints } from '../metrics/server.ts';
import { createSdkPort } from '../milvus/sdk-adapter.ts';
import { parseDuration } from '../api/duration.ts';
import { packageVersion } from './version.ts';

export interface RunFlags {
  namespaces: string[];
  resyncMs: number;
  concurrency: number;
  logLevel: Level;
  dryRun: boolean;
  kubeconfig?: string;
  metricsAddress: string;
  healthAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  shutdownTimeoutMs: number;
  /** MLO_WATCH_TIMEOUT_SECONDS; undefined: the informer's default (300 s). */
  watchTimeoutSeconds: number | undefined;
  /** --allowed-milvus-endpoints: endpoints any credentials Secret may be sent to. */
  allowedMilvusEndpoints: EndpointList;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function defaultLeaderNamespace(): string {
  const fromEnv = env('POD_NAMESPACE');
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

function watchTimeoutFromEnv(): number | undefined {
  const v = env('MLO_WATCH_TIMEOUT_SECONDS');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`MLO_WATCH_TIMEOUT_SECONDS=${v}: give a whole number of seconds, at least 1`);
  return n;
}

function endpointsFlag(name: string, v: string): EndpointList {
  const list = parseEndpointList(v);
  const n = list.invalid.length;
  if (n > 0) throw new UsageError(`${name}: ${list.invalid.map((e) => JSON.stringify(e)).join(', ')} ${n > 1 ? 'are not endpoints' : 'is not an endpoint'}; give host:port, or http://host:port to allow plain http outside the cluster, separated by commas`);
  return list;
}

function durationFlag(name: string, v: string): number {
  const ms = parseDuration(v);
  if (!ms) throw new UsageError(`${name} ${v}: give a duration such as 15s or 2m`);
  return ms;
}

function bindFlag(name: string, v: string): string {
  try {
    parseBindAddress(v);
  } catch (e: unknown) {
    throw new UsageError(`${name} ${(e as Error).message}`);
  }
  return v;
}

export class UsageError extends Error {}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The flags' values before the command line: defaults, overridden by MLO_* variables. */
function flagsFromEnv(): RunFlags {
  return {
    namespaces: (env('MLO_NAMESPACES') ?? '').split(',').filter(Boolean),
    resyncMs: parseDuration(env('MLO_RESYNC') ?? '30s') ?? 30_000,
    concurrency: Number(env('MLO_CONCURRENCY') ?? 4),
    logLevel: 'info',
    dryRun: env('MLO_DRY_RUN') === 'true',
    ...(env('KUBECONFIG') ? { kubeconfig: env('KUBECONFIG') } : {}),
    metricsAddress: bindFlag('MLO_METRICS_BIND_ADDRESS', env('MLO_METRICS_BIND_ADDRESS') ?? ':8080'),
    healthAddress: bindFlag('MLO_HEALTH_PROBE_BIND_ADDRESS', env('MLO_HEALTH_PROBE_BIND_ADDRESS') ?? ':8081'),
    leaderElect: env('MLO_LEADER_ELECT') === 'true',
    leaderElectionNamespace: env('MLO_LEADER_ELECTION_NAMESPACE') ?? defaultLeaderNamespace(),
    leaderElectionId: env('MLO_LEADER_ELECTION_ID') ?? 'milvus-load-operator',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    shutdownTimeoutMs: 10_000,
    watchTimeoutSeconds: watchTimeoutFromEnv(),
    allowedMilvusEndpoints: endpointsFlag('MLO_ALLOWED_MILVUS_ENDPOINTS', env('MLO_ALLOWED_MILVUS_ENDPOINTS') ?? ''),
  };
}

export function parseRunFlags(argv: readonly string[]): RunFlags {
  const flags = flagsFromEnv();
  const lvl = env('MLO_LOG_LEVEL');
  if (lvl && isLevel(lvl)) flags.logLevel = lvl;
  type Setter = (v: string, inline: string | undefined) => void;
  // Flags that take a value, and the two switches.
  const withValue: Record<string, Setter> = {
    '--namespaces': (v) => (flags.namespaces = v.split(',').filter(Boolean)),
    '--resync': (v) => (flags.resyncMs = durationFlag('--resync', v)),
    '--concurrency': (v) => {
      flags.concurrency = Number(v);
      if (!Number.isInteger(flags.concurrency) || flags.concurrency < 1) throw new UsageError('--concurrency must be a whole number of at least 1');
    },
    '--log-level': (v) => {
      if (!isLevel(v)) throw new UsageError(`--log-level ${v}: use debug, info, warn or error`);
      flags.logLevel = v;
    },
    '--kubeconfig': (v) => (flags.kubeconfig = v),
    '--metrics-bind-address': (v) => (flags.metricsAddress = bindFlag('--metrics-bind-address', v)),
    '--health-probe-bind-address': (v) => (flags.healthAddress = bindFlag('--health-probe-bind-address', v)),
    '--leader-election-namespace': (v) => (flags.leaderElectionNamespace = v),
    '--leader-election-id': (v) => {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) throw new UsageError(`--leader-election-id ${v}: must be a valid Kubernetes object name (lowercase letters, digits, '-', '.')`);
      flags.leaderElectionId = v;
    },
    '--lease-duration': (v) => (flags.leaseDurationMs = durationFlag('--lease-duration', v)),
    '--renew-deadline': (v) => (flags.renewDeadlineMs = durationFlag('--renew-deadline', v)),
    '--retry-period': (v) => (flags.retryPeriodMs = durationFlag('--retry-period', v)),
    '--shutdown-timeout': (v) => (flags.shutdownTimeoutMs = durationFlag('--shutdown-timeout', v)),
    [ALLOWED_ENDPOINTS_FLAG]: (v) => (flags.allowedMilvusEndpoints = endpointsFlag(ALLOWED_ENDPOINTS_FLAG, v)),
  };
  const switches: Record<string, Setter> = {
    '--dry-run': (_v, inline) => (flags.dryRun = inline === undefined || inline === 'true'),
    '--leader-elect': (_v, inline) => (flags.leaderElect = inline === undefined || inline === 'true'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const sw = switches[name];
    if (sw) {
      sw('', inline);
      continue;
    }
    const set = withValue[name];
    if (!set) throw new UsageError(`unknown flag ${name}; see milvus-load-operator run --help`);
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    set(v, inline);
  }
  const timing = validateLeaderTimings(flags.leaseDurationMs, flags.renewDeadlineMs, flags.retryPeriodMs);
  if (flags.leaderElect && timing) throw new UsageError(timing);
  return flags;
}

export const RUN_HELP = `Usage: milvus-load-operator run [flags]

Runs the operator against the current kubeconfig (or in-cluster).

Flags (environment variable in brackets):
  --namespaces a,b     watch only these namespaces (default: all) [MLO_NAMESPACES]
  --resync 30s         period of the full resync that puts drift right [MLO_RESYNC]
  --concurrency 4      Milvus instances reconciled at once [MLO_CONCURRENCY]
  --log-level info     debug | info | warn | error [MLO_LOG_LEVEL]
  --dry-run            plan and log, change nothing (neither Milvus nor Kubernetes) [MLO_DRY_RUN=true]
  --kubeconfig PATH    kubeconfig file [KUBECONFIG]
  --metrics-bind-address :8080
                       serve Prometheus metrics at /metrics; 0 turns it off [MLO_METRICS_BIND_ADDRESS]
  --health-probe-bind-address :8081
                       serve /healthz and /readyz; 0 turns it off [MLO_HEALTH_PROBE_BIND_ADDRESS]
  --leader-elect       only the replica holding a Lease acts; run 2+ replicas with this [MLO_LEADER_ELECT=true]
  --leader-election-namespace NS
                       namespace of the Lease (default: $POD_NAMESPACE, else the
                       in-cluster service account's namespace, else default) [MLO_LEADER_ELECTION_NAMESPACE]
  --leader-election-id milvus-load-operator
                       name of the Lease [MLO_LEADER_ELECTION_ID]
  --lease-duration 15s how long a standby waits for a silent leader before taking over
  --renew-deadline 10s how long the leader keeps trying to renew before it stops acting
  --retry-period 2s    how often the leader renews and standbys try to take over
  --shutdown-timeout 10s
                       on SIGTERM, how long in-flight reconciles may take to finish
  --allowed-milvus-endpoints host:port,...
                       Milvus endpoints that any credentials Secret may be sent to, besides
                       those its own annotation milvusload.io/allowed-endpoints lists
                       (default: none); write http://host:port to allow plain http to a
                       host outside the cluster [MLO_ALLOWED_MILVUS_ENDPOINTS]

Leader identity is $POD_NAME when set, else the host name with a random suffix.
Endpoints: /healthz answers while the process runs; /readyz is 200 once the caches
are synced (and, on the leader, while reconciles are not failing against the
Kubernetes API); every replica serves both, and /metrics.
Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failure or lost leadership, 2 usage error.
`;

export async function run(argv: readonly string[]): Promise<void> {
  const flags = parseRunFlags(argv);
  const version = packageVersion();
  const log = createLogger(flags.logLevel, { component: 'milvus-load-operator' });
  let kube;
  try {
    kube = await loadKubeAuth(flags.kubeconfig);
  } catch (e: unknown) {
    throw new Error(`cannot read the kubeconfig ${flags.kubeconfig ?? '(default: $KUBECONFIG, ~/.kube/config or in-cluster)'}: ${(e as Error).message}; pass --kubeconfig PATH or set KUBECONFIG`);
  }
  const http = new KubeHttp(kube.auth);
  const metrics = createOperatorMetrics(version);
  // One clock for the queue, the reconciler, the informers and leader election.
  const clock = realClock;
  const op = createOperator({
    clock,
    http,
    log,
    portFactory: createSdkPort,
    namespaces: flags.namespaces,
    resyncMs: flags.resyncMs,
    concurrency: flags.concurrency,
    dryRun: flags.dryRun,
    metrics,
    standby: flags.leaderElect,
    allowedMilvusEndpoints: flags.allowedMilvusEndpoints,
    ...(flags.watchTimeoutSeconds ? { watchTimeoutSeconds: flags.watchTimeoutSeconds } : {}),
  });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection (kept running)', { error: reason instanceof Error ? reason.message : String(reason) }));
  const identity = env('POD_NAME') ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
  let lost: ((why: string) => void) | undefined;
  const elector = flags.leaderElect
    ? new LeaderElector({
        http,
        namespace: flags.leaderElectionNamespace,
        name: flags.leaderElectionId,
        identity,
        leaseDurationMs: flags.leaseDurationMs,
        renewDeadlineMs: flags.renewDeadlineMs,
        retryPeriodMs: flags.retryPeriodMs,
        clock,
        log,
        onStartedLeading: () => op.activate(),
        onStoppedLeading: (why) => {
          op.deactivate();
          lost?.(why);
        },
      })
    : undefined;
  const endpoints = await serveEndpoints({
    healthAddress: flags.healthAddress,
    metricsAddress: flags.metricsAddress,
    registry: metrics.registry,
    readiness: () => {
      if (!op.synced()) return { ready: false, reason: 'caches not synced yet (listing policies and budgets)' };
      const failure = op.kubeFailure();
      return failure ? { ready: false, reason: `reconciles are failing against the Kubernetes API: ${failure}` } : { ready: true, reason: '' };
    },
  });
  await op.start();
  elector?.start();
  log.info('operator started', {
    version,
    kubeconfig: kube.source,
    namespaces: flags.namespaces.length ? flags.namespaces : 'all',
    resyncMs: flags.resyncMs,
    concurrency: flags.concurrency,
    dryRun: flags.dryRun,
    allowedMilvusEndpoints: flags.allowedMilvusEndpoints.rules.map((r) => (r.plainHttp === 'inCluster' ? r.endpoint : `${r.plainHttp === 'always' ? 'http' : 'https'}://${r.endpoint}`)),
    health: endpoints.health ?? 'off',
    metrics: endpoints.metrics ?? 'off',
    leaderElection: elector ? { lease: `${flags.leaderElectionNamespace}/${flags.leaderElectionId}`, identity, leaseDurationMs: flags.leaseDurationMs, renewDeadlineMs: flags.renewDeadlineMs, retryPeriodMs: flags.retryPeriodMs } : 'off',
  });
  const outcome = await new Promise<{ signal: string } | { lost: string }>((resolve) => {
    lost = (why) => resolve({ lost: why });
    const stop = (signal: string): void => {
      process.once(signal, () => {
        log.warn('second signal: exiting now', { signal });
        process.exit(1);
      });
      resolve({ signal });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  if ('lost' in outcome) {
    // Another replica may be acting already: stop everything at once and
    // exit non-zero so Kubernetes restarts this one as a fresh candidate.
    await Promise.race([op.stop(0), new Promise((r) => setTimeout(r, 1000))]);
    await endpoints.close();
    log.error('exiting: lost leadership, so that only one replica acts; Kubernetes restarts this one as a standby', { reason: outcome.lost });
    process.exit(1);
  }
  log.info('stopping: no new work; waiting for in-flight reconciles', { signal: outcome.signal, timeoutMs: flags.shutdownTimeoutMs });
  await op.stop(flags.shutdownTimeoutMs);
  await elector?.stop();
  await endpoints.close();
  log.info('stopped');
}
