// The operator as the bench runs it: the compiled entry point
// (bench/build.ts), `run` with a short resync and warn-level logs, metrics and
// health listeners only where a scenario asks (several benchmarks and tests
// may run side by side on this machine), and bench/memory-probe.ts preloaded
// so that its memory can be drawn over time.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { freePort } from '../test/env/ports.ts';
import { spawnManaged, type ManagedProcess } from '../test/env/process.ts';
import { imageEnv, imageNodeFlags } from './build.ts';
import { parseProbe, type RawSample } from './memory-series.ts';

const PROBE = new URL('./memory-probe.ts', import.meta.url).pathname;
/** Well under the 250 ms the series must resolve, so that timer jitter keeps it under. */
export const PROBE_INTERVAL_MS = 200;

export interface OperatorOptions {
  /** dist/src/main.js of the build under test. */
  readonly main: string;
  readonly kubeconfigPath: string;
  readonly resyncSeconds: number;
  /** Where its log and memory samples go. */
  readonly dir: string;
  /** Serve /readyz on a free loopback port (to know when the caches are synced). */
  readonly health?: boolean;
}

export interface OperatorProcess {
  readonly proc: ManagedProcess;
  /** Epoch ms of the spawn. */
  readonly startedAt: number;
  /** http://127.0.0.1:PORT when `health` was asked for. */
  readonly healthUrl?: string;
  /** Every memory sample the probe has written so far. */
  memorySamples(): Promise<RawSample[]>;
}

let spawned = 0;

export async function spawnOperator(o: OperatorOptions): Promise<OperatorProcess> {
  const memoryFile = `${o.dir}/operator-memory-${++spawned}.txt`;
  const healthPort = o.health ? await freePort() : undefined;
  // MLO_BENCH_OPERATOR_NODE_OPTIONS: Node flags for the operator alone (e.g. a heap cap), not for the bench.
  // MLO_BENCH_OPERATOR_LOG_LEVEL: its --log-level (default warn; debug logs every pass with its duration).
  const nodeOptions = [`--import=${PROBE}`, process.env.MLO_BENCH_OPERATOR_NODE_OPTIONS ?? ''].join(' ').trim();
  const startedAt = Date.now();
  const proc = spawnManaged('operator', process.execPath, [...imageNodeFlags(), o.main, 'run', '--kubeconfig', o.kubeconfigPath, '--resync', `${o.resyncSeconds}s`, '--log-level', process.env.MLO_BENCH_OPERATOR_LOG_LEVEL ?? 'warn'], {
    logFile: `${o.dir}/operator.log`,
    env: {
      ...process.env,
      ...imageEnv(),
      MLO_METRICS_BIND_ADDRESS: '0',
      MLO_HEALTH_PROBE_BIND_ADDRESS: healthPort === undefined ? '0' : `127.0.0.1:${healthPort}`,
      NODE_OPTIONS: nodeOptions,
      MLO_BENCH_MEMORY_FILE: memoryFile,
      MLO_BENCH_MEMORY_INTERVAL_MS: String(PROBE_INTERVAL_MS),
    },
  });
  return {
    proc,
    startedAt,
    ...(healthPort === undefined ? {} : { healthUrl: `http://127.0.0.1:${healthPort}` }),
    memorySamples: async () => (existsSync(memoryFile) ? parseProbe(await readFile(memoryFile, 'utf8')) : []),
  };
}

/** Resident memory of `pid` now (VmRSS), in bytes; 0 when it is gone. */
export async function currentRss(pid: number): Promise<number> {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}
