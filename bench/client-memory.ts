// `node bench/client-memory.ts [--target closed|simulator] [--entry src|dist] [--counts 1,2,10,50]`
// What a Milvus client costs the operator process: RSS and V8 heap used of a
// fresh process that is bare, that imported the SDK adapter, and that holds
// 1, 2, 10, 50 adapters (createSdkPort, as the operator builds them) to
// different addresses, each after one call. Every row is its own child
// process run with --expose-gc, measured after gc().
//   --target closed     every client dials a port where nothing listens (the
//                       call fails; the channel keeps retrying): no server needed.
//   --target simulator  a helper process runs one simulator per client and
//                       every call succeeds (a connected HTTP/2 session each).
//   --entry src         imports src/milvus/sdk-adapter.ts (types stripped);
//   --entry dist        dist/src/milvus/sdk-adapter.js (`npm run build` first),
//                       as the image runs it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const MIB = 1024 * 1024;
const root = join(fileURLToPath(import.meta.url), '..', '..');

interface Row {
  label: string;
  rss: number;
  heapUsed: number;
  external: number;
}

/**
 * The measured process, as plain JavaScript (`node -e`): running a .ts file
 * would load Node's type stripper into it (about 30 MiB of RSS) and count it
 * against the client. argv: entry file or '', then the addresses.
 */
const CHILD = `
const [file, ...addresses] = process.argv.slice(1);
if (file) {
  const { createSdkPort } = await import(file);
  const ports = addresses.map((address) => createSdkPort({ address, tls: false, timeoutMs: 3000 }));
  // One call each: the connected (or failed) state is what the operator holds between resyncs.
  await Promise.all(ports.map((p) => p.listCollections('default').catch(() => undefined)));
  globalThis.keep = ports;
}
gc();
gc();
const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external }) + '\\n');
// Channels to closed ports keep retrying; the figures are taken, so leave.
process.exit(0);
`;

/** Ports where nothing listens: bound once by us, then closed. */
async function closedAddresses(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    out.push(`127.0.0.1:${addr.port}`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}

/** Helper process: `n` simulators, one per address; prints their addresses as one JSON line. */
async function serve(n: number): Promise<void> {
  const { startSimulator } = await import('../test/simulator/index.ts');
  const sims = await Promise.all(Array.from({ length: n }, () => startSimulator()));
  for (const s of sims) s.state.createDatabase('default');
  process.stdout.write(`${JSON.stringify(sims.map((s) => s.address))}\n`);
}

async function startSimulators(n: number): Promise<{ addresses: string[]; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  for await (const line of lines) return { addresses: JSON.parse(line) as string[], proc };
  throw new Error('the simulator helper exited before printing its addresses');
}

function measure(entry: string, mode: 'bare' | 'import' | 'clients', addresses: string[]): Omit<Row, 'label'> {
  const file = mode === 'bare' ? '' : pathToFileURL(join(root, entry === 'dist' ? 'dist/src/milvus/sdk-adapter.js' : 'src/milvus/sdk-adapter.ts')).href;
  const args = ['--expose-gc', '--input-type=module', '-e', CHILD, file, ...(mode === 'clients' ? addresses : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * MIB });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Omit<Row, 'label'>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'closed' },
      entry: { type: 'string', default: 'src' },
      counts: { type: 'string', default: '1,2,10,50' },
      serve: { type: 'string' },
    },
  });
  const entry = values.entry ?? 'src';
  if (values.serve !== undefined) return serve(Number(values.serve));
  const counts = (values.counts ?? '').split(',').map(Number);
  const max = Math.max(...counts);
  const sims = values.target === 'simulator' ? await startSimulators(max) : undefined;
  const addresses = sims ? sims.addresses : await closedAddresses(max);
  const rows: Row[] = [
    { label: 'bare process', ...measure(entry, 'bare', []) },
    { label: 'SDK adapter imported', ...measure(entry, 'import', []) },
    ...counts.map((n) => ({ label: `${n} client${n === 1 ? '' : 's'}`, ...measure(entry, 'clients', addresses.slice(0, n)) })),
  ];
  sims?.proc.kill('SIGTERM');
  const one = rows[2]!;
  process.stdout.write(`Milvus client memory (node ${process.version}, --entry ${entry}, --target ${values.target})\n\n`);
  process.stdout.write('| process | RSS MiB | heap used MiB | external MiB | RSS per client over 1 client |\n| --- | ---: | ---: | ---: | ---: |\n');
  for (const r of rows) {
    const n = Number(/^(\d+) client/.exec(r.label)?.[1] ?? 0);
    const per = n > 1 ? ((r.rss - one.rss) / (n - 1) / MIB).toFixed(1) : '';
    process.stdout.write(`| ${r.label} | ${(r.rss / MIB).toFixed(1)} | ${(r.heapUsed / MIB).toFixed(1)} | ${(r.external / MIB).toFixed(1)} | ${per} |\n`);
  }
}

await main();
