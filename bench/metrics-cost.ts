// `node --expose-gc bench/metrics-cost.ts [--runs N] [--root DIR] [--entry FILE]`
// What the metrics module costs the operator process: import time, and RSS
// and V8 heap after importing it, creating the operator's metrics, filling
// them as ten Milvus instances would and scraping 100 times. Each run is a
// fresh child process (so the import is cold); the figures are medians.
// --root measures another checkout's src/metrics (e.g. one from before
// prom-client: `git archive <commit> src/metrics | tar -x -C DIR`).
// --entry src/cli/run.ts imports the whole run command first (the Milvus SDK,
// the Kubernetes client, ...), so the figures are what the metrics add inside
// the operator, where node:http and @opentelemetry/api are loaded anyway.
// ADR 0006 records the result. It only uses call shapes that the hand-rolled
// registry and prom-client share, so the same script measures both.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIB = 1024 * 1024;

interface Figures {
  importMs: number;
  rssBefore: number;
  heapBefore: number;
  rssImported: number;
  heapImported: number;
  rssAfter: number;
  heapAfter: number;
  scrapeBytes: number;
  scrapeMs: number;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  g();
  g();
}

type Scrapeable = { render?: () => string; metrics?: () => Promise<string> };

async function measureOnce(root: string, entry: string): Promise<Figures> {
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  await import(pathToFileURL(join(root, entry)).href);
  const importMs = performance.now() - t0;
  const mod = (await import(pathToFileURL(join(root, 'src/metrics/operator-metrics.ts')).href)) as typeof import('../src/metrics/operator-metrics.ts');
  const m = mod.createOperatorMetrics('bench');
  gc();
  const imported = process.memoryUsage();
  for (let i = 0; i < 10; i++) {
    const milvus = `milvus-${i}.example:19530`;
    m.reconcileTotal.inc({ milvus, result: 'ok' });
    m.reconcileErrors.inc({ milvus, reason: 'MilvusUnavailable' });
    m.reconcileDuration.observe({ milvus }, 0.02 * i);
    for (const state of ['Loaded', 'Loading', 'Released', 'Deferred', 'Failed']) m.collections.set({ milvus, state }, i);
    m.policies.set({ milvus, ready: 'true' }, i);
    m.budgetUsed.set({ budget: `b${i}` }, i * MIB);
  }
  for (const method of ['listCollections', 'listLoaded', 'loadProgress', 'load', 'release']) {
    m.milvusRequests.inc({ method, outcome: 'ok' });
    m.milvusRequestDuration.observe({ method }, 0.003);
  }
  const registry = m.registry as unknown as Scrapeable;
  let text = '';
  const s0 = performance.now();
  for (let i = 0; i < 100; i++) text = registry.render ? registry.render() : await registry.metrics!();
  const scrapeMs = (performance.now() - s0) / 100;
  gc();
  const after = process.memoryUsage();
  return { importMs, rssBefore: before.rss, heapBefore: before.heapUsed, rssImported: imported.rss, heapImported: imported.heapUsed, rssAfter: after.rss, heapAfter: after.heapUsed, scrapeBytes: Buffer.byteLength(text), scrapeMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const root = arg('--root') ?? fileURLToPath(new URL('../', import.meta.url));
const entry = arg('--entry') ?? 'src/metrics/operator-metrics.ts';

if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(await measureOnce(root, entry)));
  // prom-client's default collectors keep timers; the figures are taken.
  process.exit(0);
} else {
  const runs = Number(arg('--runs') ?? 7);
  const self = fileURLToPath(import.meta.url);
  const all: Figures[] = [];
  for (let r = 0; r < runs; r++) all.push(JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--child', '--root', root, '--entry', entry], { encoding: 'utf8' })) as Figures);
  const mib = (f: (x: Figures) => number): string => (median(all.map(f)) / MIB).toFixed(1);
  console.log(`metrics cost (${root}, import of ${entry}), median of ${runs} fresh processes (node ${process.version}):`);
  console.log(`  import time  ${median(all.map((x) => x.importMs)).toFixed(1)} ms`);
  console.log(`  RSS   before → imported+created → after 100 scrapes  ${mib((x) => x.rssBefore)} → ${mib((x) => x.rssImported)} → ${mib((x) => x.rssAfter)} MiB (+${mib((x) => x.rssAfter - x.rssBefore)})`);
  console.log(`  heap  before → imported+created → after 100 scrapes  ${mib((x) => x.heapBefore)} → ${mib((x) => x.heapImported)} → ${mib((x) => x.heapAfter)} MiB (+${mib((x) => x.heapAfter - x.heapBefore)})`);
  console.log(`  one scrape   ${median(all.map((x) => x.scrapeBytes))} bytes, ${median(all.map((x) => x.scrapeMs)).toFixed(2)} ms`);
}
