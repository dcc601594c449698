// Runs the Milvus simulator as a standalone process, e.g. for a benchmark or
// a manual session against the operator:
//   node test/simulator/main.ts --port 19530 --collections 10000 --capacity-gib 64
// Prints one line "Milvus simulator listening on http://127.0.0.1:PORT" once
// it accepts connections, and stops on SIGINT/SIGTERM. With --proxies N it
// also serves N proxies' /metrics (milvus_proxy_req_count, for the usage
// sources) and prints one line "proxy metrics: URL ..." with their URLs.
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';

const usage = `usage: node test/simulator/main.ts [--port N] [--load-millis MS] [--load-timeout-millis MS]
       [--capacity-gib GIB] [--query-nodes N] [--database DB] [--collections N] [--prefix P] [--rows N] [--dim N]
       [--proxies N]`;

function numberOption(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`simulator: --${name} must be a non-negative number, got "${raw}"\n${usage}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'load-millis': { type: 'string' },
      'load-timeout-millis': { type: 'string' },
      'capacity-gib': { type: 'string' },
      'query-nodes': { type: 'string' },
      database: { type: 'string', default: 'default' },
      collections: { type: 'string' },
      prefix: { type: 'string', default: 'collection_' },
      rows: { type: 'string' },
      dim: { type: 'string' },
      proxies: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const capacityGib = numberOption(values, 'capacity-gib');
  const loadMillis = numberOption(values, 'load-millis');
  const loadTimeoutMillis = numberOption(values, 'load-timeout-millis');
  const sim = await startSimulator({
    port: numberOption(values, 'port') ?? 19530,
    ...(loadMillis !== undefined ? { loadMillis } : {}),
    ...(loadTimeoutMillis !== undefined ? { loadTimeoutMillis } : {}),
    ...(capacityGib !== undefined ? { capacityBytes: capacityGib * 2 ** 30 } : {}),
  });
  const nodes = numberOption(values, 'query-nodes');
  if (nodes !== undefined) sim.state.setQueryNodes(nodes);
  const database = values.database ?? 'default';
  const count = numberOption(values, 'collections') ?? 0;
  const rows = numberOption(values, 'rows');
  const dim = numberOption(values, 'dim');
  sim.state.createDatabase(database);
  sim.state.createCollections(database, count, { prefix: values.prefix ?? 'collection_', ...(rows !== undefined ? { rows } : {}), ...(dim !== undefined ? { dim } : {}) });
  process.stdout.write(`Milvus simulator listening on ${sim.uri} (${count} collections in database "${database}")\n`);
  const proxies = numberOption(values, 'proxies');
  if (proxies !== undefined) {
    sim.proxyMetrics.setProxies(proxies);
    process.stdout.write(`proxy metrics: ${(await sim.proxyMetrics.listen()).join(' ')}\n`);
  }
  const shutdown = (signal: string): void => {
    process.stdout.write(`Milvus simulator stopping on ${signal}\n`);
    void Promise.all([sim.stop(), sim.proxyMetrics.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
