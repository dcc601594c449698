// `milvus-load-operator run`: the operator, against the current kubeconfig
// (or the in-cluster service account).
import { realClock } from '../kube/clock.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createOperator } from '../controller/operator.ts';
import { parseEndpointList, type EndpointList } from '../controller/credential-scope.ts';
import { KubeHttp } from '../kube/http.ts';
import { loadKubeAuth, type LoadedAuth } from '../kube/kubeconfig.ts';
import { LeaderElector, validateLeaderTimings } from '../kube/leader.ts';
import { createLogger, isLevel, type Level } from '../log/logger.ts';
import { createOperatorMetrics } from '../metrics/operator-metrics.ts';
import { parseBindAddress, serveEndpoints, type Endpoints } from '../metrics/server.ts';
import { createSdkPort } from '../milvus/sdk-adapter.ts';
import { parseDuration } from '../api/duration.ts';
import { commonFlags, envValue, parseCommandLine, UsageError, type FlagSpecs, type FlagValues } from './flags.ts';
import { packageVersion } from './version.ts';

export { UsageError } from './flags.ts';

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

export const RUN_OPTIONS = {
  ...commonFlags('help', 'kubeconfig', 'log-level'),
  namespaces: { type: 'string' },
  resync: { type: 'string' },
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean', explicitValue: true },
  'metrics-bind-address': { type: 'string' },
  'health-probe-bind-address': { type: 'string' },
  'leader-elect': { type: 'boolean', explicitValue: true },
  'leader-election-namespace': { type: 'string' },
  'leader-election-id': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'allowed-milvus-endpoints': { type: 'string' },
} as const satisfies FlagSpecs;

/** A setting's text and the name to blame in an error: the flag when given, else its environment variable. */
interface Setting {
  readonly name: string;
  readonly value: string;
}

type Source = (flag: Exclude<keyof typeof RUN_OPTIONS, 'help'>, envName?: string) => Setting | undefined;

function settingsFrom(values: FlagValues<typeof RUN_OPTIONS>, environment: NodeJS.ProcessEnv): Source {
  return (flag, envName) => {
    const v = values[flag];
    if (typeof v === 'string') return { name: `--${flag}`, value: v };
    const e = envName ? envValue(environment, envName) : undefined;
    return envName && e !== undefined ? { name: envName, value: e } : undefined;
  };
}

function defaultLeaderNamespace(environment: NodeJS.ProcessEnv): string {
  const fromEnv = envValue(environment, 'POD_NAMESPACE');
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

function watchTimeoutFromEnv(environment: NodeJS.ProcessEnv): number | undefined {
  const v = envValue(environment, 'MLO_WATCH_TIMEOUT_SECONDS');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`MLO_WATCH_TIMEOUT_SECONDS=${v}: give a whole number of seconds, at least 1`);
  return n;
}

function endpointsSetting(s: Setting | undefined): EndpointList {
  const list = parseEndpointList(s?.value ?? '');
  const n = list.invalid.length;
  if (s && n > 0) throw new UsageError(`${s.name}: ${list.invalid.map((e) => JSON.stringify(e)).join(', ')} ${n > 1 ? 'are not endpoints' : 'is not an endpoint'}; give host:port, or http://host:port to allow plain http outside the cluster, separated by commas`);
  return list;
}

function durationSetting(s: Setting | undefined, fallbackMs: number): number {
  if (!s) return fallbackMs;
  const ms = parseDuration(s.value);
  if (!ms) throw new UsageError(`${s.name} ${s.value}: give a duration such as 15s or 2m`);
  return ms;
}

function bindSetting(s: Setting | undefined, fallback: string): string {
  if (!s) return fallback;
  try {
    parseBindAddress(s.value);
  } catch (e: unknown) {
    throw new UsageError(`${s.name} ${(e as Error).message}`);
  }
  return s.value;
}

function concurrencySetting(s: Setting | undefined): number {
  if (!s) return 4;
  const n = Number(s.value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${s.name} must be a whole number of at least 1`);
  return n;
}

function levelSetting(s: Setting | undefined): Level {
  if (!s) return 'info';
  if (!isLevel(s.value)) throw new UsageError(`${s.name} ${s.value}: use debug, info, warn or error`);
  return s.value;
}

function leaseNameSetting(s: Setting | undefined): string {
  if (!s) return 'milvus-load-operator';
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.value)) throw new UsageError(`${s.name} ${s.value}: must be a valid Kubernetes object name (lowercase letters, digits, '-', '.')`);
  return s.value;
}

/** A switch: the flag when given, else its variable (true or false), else off. */
function switchSetting(flag: boolean | undefined, environment: NodeJS.ProcessEnv, envName: string): boolean {
  if (flag !== undefined) return flag;
  const v = envValue(environment, envName);
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new UsageError(`${envName}=${v}: use true or false`);
}

/** Each setting from its flag, else its MLO_* variable, else the default. */
export function parseRunFlags(argv: readonly string[], environment: NodeJS.ProcessEnv = process.env): RunFlags {
  const values = parseCommandLine('run', argv, RUN_OPTIONS);
  const from = settingsFrom(values, environment);
  // Only the flag: KUBECONFIG may be a list of files, which the loader merges as kubectl does.
  const kubeconfig = values.kubeconfig;
  const flags: RunFlags = {
    namespaces: (from('namespaces', 'MLO_NAMESPACES')?.value ?? '').split(',').filter(Boolean),
    resyncMs: durationSetting(from('resync', 'MLO_RESYNC'), 30_000),
    concurrency: concurrencySetting(from('concurrency', 'MLO_CONCURRENCY')),
    logLevel: levelSetting(from('log-level', 'MLO_LOG_LEVEL')),
    dryRun: switchSetting(values['dry-run'], environment, 'MLO_DRY_RUN'),
    ...(kubeconfig ? { kubeconfig } : {}),
    metricsAddress: bindSetting(from('metrics-bind-address', 'MLO_METRICS_BIND_ADDRESS'), ':8080'),
    healthAddress: bindSetting(from('health-probe-bind-address', 'MLO_HEALTH_PROBE_BIND_ADDRESS'), ':8081'),
    leaderElect: switchSetting(values['leader-elect'], environment, 'MLO_LEADER_ELECT'),
    leaderElectionNamespace: from('leader-election-namespace', 'MLO_LEADER_ELECTION_NAMESPACE')?.value ?? defaultLeaderNamespace(environment),
    leaderElectionId: leaseNameSetting(from('leader-election-id', 'MLO_LEADER_ELECTION_ID')),
    leaseDurationMs: durationSetting(from('lease-duration'), 15_000),
    renewDeadlineMs: durationSetting(from('renew-deadline'), 10_000),
    retryPeriodMs: durationSetting(from('retry-period'), 2_000),
    shutdownTimeoutMs: durationSetting(from('shutdown-timeout'), 10_000),
    watchTimeoutSeconds: watchTimeoutFromEnv(environment),
    allowedMilvusEndpoints: endpointsSetting(from('allowed-milvus-endpoints', 'MLO_ALLOWED_MILVUS_ENDPOINTS')),
  };
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
  --kubeconfig PATH    kubeconfig file [else KUBECONFIG, a list as kubectl reads it]
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

async function readKubeconfig(path: string | undefined): Promise<LoadedAuth> {
  try {
    return await loadKubeAuth(path);
  } catch (e: unknown) {
    throw new Error(`cannot read the kubeconfig ${path ?? '(default: $KUBECONFIG, ~/.kube/config or in-cluster)'}: ${(e as Error).message}; pass --kubeconfig PATH or set KUBECONFIG`);
  }
}

/** The settings the "operator started" line reports, as a person would write them. */
function startupFields(flags: RunFlags, endpoints: Pick<Endpoints, 'health' | 'metrics'>): Record<string, unknown> {
  return {
    namespaces: flags.namespaces.length ? flags.namespaces : 'all',
    resyncMs: flags.resyncMs,
    concurrency: flags.concurrency,
    dryRun: flags.dryRun,
    allowedMilvusEndpoints: flags.allowedMilvusEndpoints.rules.map((r) => (r.plainHttp === 'inCluster' ? r.endpoint : `${r.plainHttp === 'always' ? 'http' : 'https'}://${r.endpoint}`)),
    health: endpoints.health ?? 'off',
    metrics: endpoints.metrics ?? 'off',
  };
}

function leaseFields(flags: RunFlags, identity: string): Record<string, unknown> {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = flags;
  return { lease: `${flags.leaderElectionNamespace}/${flags.leaderElectionId}`, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

export async function run(argv: readonly string[]): Promise<void> {
  const flags = parseRunFlags(argv);
  const version = packageVersion();
  const log = createLogger(flags.logLevel, { component: 'milvus-load-operator' });
  const kube = await readKubeconfig(flags.kubeconfig);
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
  const identity = envValue(process.env, 'POD_NAME') ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
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
  log.info('operator started', { version, kubeconfig: kube.source, ...startupFields(flags, endpoints), leaderElection: elector ? leaseFields(flags, identity) : 'off' });
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
