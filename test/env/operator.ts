// The operator as a separate process, as a user runs it (`node src/main.ts
// run`), for the tests and the demo: one command line instead of one per
// test file. Its metrics and health endpoints go on free loopback ports
// chosen here, so the caller knows where to scrape (spawnManaged's default
// of port 0 keeps operators off :8080 and :8081 too, but says nowhere which
// port they got).
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { spawnManaged, type ManagedProcess } from './process.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface OperatorSpawn {
  readonly kubeconfig: string;
  /** Where its whole output goes. */
  readonly logFile: string;
  /** Default 3s. */
  readonly resync?: string;
  /** Default: the operator's own (info). */
  readonly logLevel?: string;
  /** The process's name in the harness's messages; default `operator`. */
  readonly name?: string;
  /** Further flags of `run`. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface SpawnedOperator {
  readonly proc: ManagedProcess;
  /** `127.0.0.1:PORT` of /metrics. */
  readonly metrics: string;
  /** `127.0.0.1:PORT` of /healthz and /readyz. */
  readonly health: string;
  readonly metricsUrl: string;
  /** The command line after `node`. */
  readonly args: readonly string[];
}

export async function spawnOperator(o: OperatorSpawn): Promise<SpawnedOperator> {
  const [m, h] = [await freePort(), await freePort()];
  const metrics = `127.0.0.1:${m}`;
  const health = `127.0.0.1:${h}`;
  const args = [MAIN, 'run', '--kubeconfig', o.kubeconfig, '--resync', o.resync ?? '3s', ...(o.logLevel ? ['--log-level', o.logLevel] : []), '--metrics-bind-address', metrics, '--health-probe-bind-address', health, ...(o.args ?? [])];
  const proc = spawnManaged(o.name ?? 'operator', process.execPath, args, { logFile: o.logFile, ...(o.env ? { env: o.env } : {}) });
  return { proc, metrics, health, metricsUrl: `http://${metrics}/metrics`, args };
}
