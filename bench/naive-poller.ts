// The comparison baseline, for benchmarks only: what a quick script or a
// naive operator does. Every resync, for every policy and every collection it
// selects, ask Milvus for that collection's load state (GetLoadState) and
// load or release it when it differs. A glob policy lists its database
// (ShowCollections) to find its collections. No status, no Kubernetes: it
// reads the policies from a JSON file. It runs as its own process so its
// memory is its own.
//
//   node bench/naive-poller.ts --config FILE [--passes N | --until-converged]
//
// Prints one JSON line per pass ({"pass":1,"ms":...,"rpcs":...,"actions":...})
// and a last line {"done":true,"maxRssBytes":...}.
import { readFileSync } from 'node:fs';
import { LoadState, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { compileGlob } from '../src/api/glob.ts';

export interface NaivePolicy {
  readonly database: string;
  readonly names?: readonly string[];
  readonly patterns?: readonly string[];
  readonly state: 'Loaded' | 'Released';
}

export interface NaiveConfig {
  /** host:port of Milvus. */
  readonly address: string;
  readonly resyncSeconds: number;
  /** Calls in flight at once (the operator acts 8 at a time). */
  readonly concurrency: number;
  readonly policies: readonly NaivePolicy[];
}

export interface NaivePass {
  readonly pass: number;
  readonly startedAt: number;
  readonly ms: number;
  readonly rpcs: number;
  readonly actions: number;
}

async function mapLimit<T>(items: readonly T[], limit: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
}

function ok(method: string, reply: { error_code?: unknown; code?: unknown; status?: { error_code?: unknown; code?: unknown; reason?: string } }): void {
  const s = reply.status ?? reply;
  const failed = (s.code !== undefined && s.code !== 0) || (s.error_code !== undefined && s.error_code !== 'Success' && s.error_code !== 0);
  if (failed) throw new Error(`${method} failed: ${JSON.stringify(s)}`);
}

/** One pass over every policy and collection. */
export async function naivePass(client: MilvusClient, cfg: NaiveConfig, pass: number): Promise<NaivePass> {
  const startedAt = Date.now();
  let rpcs = 0;
  let actions = 0;
  const work: { database: string; name: string; state: 'Loaded' | 'Released' }[] = [];
  for (const p of cfg.policies) {
    const names = new Set(p.names ?? []);
    if ((p.patterns ?? []).length > 0) {
      const globs = (p.patterns ?? []).map((g) => compileGlob(g)).flatMap((c) => (c.ok ? [c.glob] : []));
      rpcs++;
      const listed = await client.showCollections({ db_name: p.database });
      ok('ShowCollections', listed);
      for (const c of listed.data) if (globs.some((g) => g.test(c.name))) names.add(c.name);
    }
    for (const name of names) work.push({ database: p.database, name, state: p.state });
  }
  await mapLimit(work, cfg.concurrency, async (w) => {
    rpcs++;
    const r = await client.getLoadState({ db_name: w.database, collection_name: w.name });
    ok('GetLoadState', r);
    const loadedOrLoading = r.state === LoadState.LoadStateLoaded || r.state === LoadState.LoadStateLoading;
    if (w.state === 'Loaded' && !loadedOrLoading) {
      rpcs++;
      actions++;
      ok('LoadCollection', await client.loadCollectionAsync({ db_name: w.database, collection_name: w.name }));
    } else if (w.state === 'Released' && loadedOrLoading) {
      rpcs++;
      actions++;
      ok('ReleaseCollection', await client.releaseCollection({ db_name: w.database, collection_name: w.name }));
    }
  });
  return { pass, startedAt, ms: Date.now() - startedAt, rpcs, actions };
}

async function main(argv: readonly string[]): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const file = arg('--config');
  if (!file) throw new Error('usage: node bench/naive-poller.ts --config FILE [--passes N | --until-converged]');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as NaiveConfig;
  const untilConverged = argv.includes('--until-converged');
  const passes = Number(arg('--passes') ?? 10);
  const client = new MilvusClient({ address: cfg.address, telemetry: { enabled: false }, logLevel: 'error', maxRetries: 0 });
  try {
    for (let i = 1; untilConverged || i <= passes; i++) {
      const started = Date.now();
      const r = await naivePass(client, cfg, i);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (untilConverged && r.actions === 0) break;
      if (untilConverged && i > 20) throw new Error('not converged after 20 passes');
      // A resync timer: the next pass starts one period after this one started.
      const wait = untilConverged ? 0 : cfg.resyncSeconds * 1000 - (Date.now() - started);
      if (wait > 0 && (untilConverged || i < passes)) await new Promise((r2) => setTimeout(r2, wait));
    }
  } finally {
    await client.closeConnection();
  }
  process.stdout.write(`${JSON.stringify({ done: true, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`naive-poller: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
