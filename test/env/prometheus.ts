// A real Prometheus server for tests of the PromQL usage source: built once
// from the Go module proxy by build/prometheus.sh (cached), started with a
// generated config that scrapes the given targets every second, on a free
// port, with a temporary data directory. MLO_PROMETHEUS points at an
// existing binary instead.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './process.ts';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('./build/prometheus.sh', import.meta.url));

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly proc: ManagedProcess;
  /** Stop and remove the data directory. Safe to call twice. */
  dispose(): Promise<void>;
}

/** The binary: MLO_PROMETHEUS, else the cached build (built now if missing: minutes, once). */
export async function locatePrometheus(): Promise<string> {
  if (process.env.MLO_PROMETHEUS) return process.env.MLO_PROMETHEUS;
  const { stdout } = await run('bash', [BUILD_SCRIPT], { timeout: 60 * 60_000, maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop() ?? '';
}

/** `targets` are URLs of /metrics endpoints; each becomes a job of its own so that its path is kept. */
export async function startPrometheus(targets: readonly string[], opts: { scrapeIntervalSeconds?: number } = {}): Promise<PrometheusServer> {
  const bin = await locatePrometheus();
  const dir = await makeTempDir('mlo-prometheus-');
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const jobs = targets.map((t, i) => {
    const u = new URL(t);
    return [`  - job_name: proxy-${i}`, `    scrape_interval: ${interval}`, `    metrics_path: ${JSON.stringify(u.pathname)}`, `    static_configs: [{ targets: [${JSON.stringify(u.host)}] }]`].join('\n');
  });
  const config = join(dir.path, 'prometheus.yml');
  await writeFile(config, `global: { scrape_interval: ${interval}, evaluation_interval: ${interval} }\nscrape_configs:\n${jobs.join('\n')}\n`);
  const port = await freePort();
  const proc = spawnManaged('prometheus', bin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { cwd: dir.path });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(proc, `Prometheus on ${url}`, async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 200);
  } catch (e: unknown) {
    await dir.remove();
    throw e;
  }
  let disposed = false;
  return {
    url,
    proc,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await proc.stop(5000);
      await dir.remove();
    },
  };
}
