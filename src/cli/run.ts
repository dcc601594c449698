// `milvus-load-operator run`: the operator, against the current kubeconfig
// (or the in-cluster service account).
import { KubeConfig } from '@kubernetes/client-node';
import { createOperator } from '../controller/operator.ts';
import { KubeHttp } from '../kube/http.ts';
import { createLogger, isLevel, type Level } from '../log/logger.ts';
import { createSdkPort } from '../milvus/sdk-adapter.ts';
import { parseDuration } from '../api/duration.ts';

export interface RunFlags {
  namespaces: string[];
  resyncMs: number;
  concurrency: number;
  logLevel: Level;
  dryRun: boolean;
  kubeconfig?: string;
}

export class UsageError extends Error {}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function parseRunFlags(argv: readonly string[]): RunFlags {
  const flags: RunFlags = {
    namespaces: (env('MLO_NAMESPACES') ?? '').split(',').filter(Boolean),
    resyncMs: parseDuration(env('MLO_RESYNC') ?? '30s') ?? 30_000,
    concurrency: Number(env('MLO_CONCURRENCY') ?? 4),
    logLevel: 'info',
    dryRun: env('MLO_DRY_RUN') === 'true',
    ...(env('KUBECONFIG') ? { kubeconfig: env('KUBECONFIG') } : {}),
  };
  const lvl = env('MLO_LOG_LEVEL');
  if (lvl && isLevel(lvl)) flags.logLevel = lvl;
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--namespaces':
        flags.namespaces = value().split(',').filter(Boolean);
        break;
      case '--resync': {
        const v = value();
        const ms = parseDuration(v);
        if (!ms) throw new UsageError(`--resync ${v}: give a duration such as 30s or 2m`);
        flags.resyncMs = ms;
        break;
      }
      case '--concurrency':
        flags.concurrency = Number(value());
        if (!Number.isInteger(flags.concurrency) || flags.concurrency < 1) throw new UsageError('--concurrency must be a whole number of at least 1');
        break;
      case '--log-level': {
        const v = value();
        if (!isLevel(v)) throw new UsageError(`--log-level ${v}: use debug, info, warn or error`);
        flags.logLevel = v;
        break;
      }
      case '--dry-run':
        flags.dryRun = true;
        break;
      case '--kubeconfig':
        flags.kubeconfig = value();
        break;
      default:
        throw new UsageError(`unknown flag ${name}; see milvus-load-operator run --help`);
    }
  }
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
`;

export async function run(argv: readonly string[]): Promise<void> {
  const flags = parseRunFlags(argv);
  const log = createLogger(flags.logLevel, { component: 'milvus-load-operator' });
  const kc = new KubeConfig();
  if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  const op = createOperator({
    http: new KubeHttp(kc),
    log,
    portFactory: createSdkPort,
    namespaces: flags.namespaces,
    resyncMs: flags.resyncMs,
    concurrency: flags.concurrency,
    dryRun: flags.dryRun,
  });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection (kept running)', { error: reason instanceof Error ? reason.message : String(reason) }));
  await op.start();
  log.info('operator started', { namespaces: flags.namespaces.length ? flags.namespaces : 'all', resyncMs: flags.resyncMs, concurrency: flags.concurrency, dryRun: flags.dryRun });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('stopping', { signal });
      void op.stop(10_000).then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log.info('stopped');
}
