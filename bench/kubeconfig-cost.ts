// `npm run build && node bench/kubeconfig-cost.ts [--runs N]`
// What reading the kubeconfig costs the production build (dist/src, as the
// image runs it): import time and RSS / V8 heap of a bare Node process, with
// @kubernetes/client-node, and with the operator's own loader
// (dist/src/kube/kubeconfig.js), alone and after the rest of `run`'s imports
// (dist/src/cli/run.js: the Milvus SDK, prom-client, ...). Each row is a fresh
// plain-JavaScript child process (no type stripping in it), so imports are cold;
// figures are medians. It also counts the lines of src/kube/kubeconfig.ts, the
// security-sensitive code we keep by not using client-node for every case.
// ADR 0009 records the result.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIB = 1024 * 1024;
const root = fileURLToPath(new URL('../', import.meta.url));
const dist = (file: string): string => pathToFileURL(join(root, 'dist/src', file)).href;

interface Row {
  readonly name: string;
  /** Imported first and not timed: what the process already holds. */
  readonly before?: string;
  /** Imported and used to read the kubeconfig, timed. */
  readonly loader?: 'client-node' | 'client-node-config' | 'own';
  readonly kubeconfig?: 'cert' | 'exec';
}

const ROWS: readonly Row[] = [
  { name: 'bare Node process' },
  { name: '+ client-node, reads a cert kubeconfig', loader: 'client-node', kubeconfig: 'cert' },
  // Its KubeConfig module alone, imported by path (the package has no exports map): is there a light way in?
  { name: '+ client-node dist/config.js only, cert kubeconfig', loader: 'client-node-config', kubeconfig: 'cert' },
  { name: '+ client-node dist/gen/index.js only (not timed)', before: new URL('gen/index.js', import.meta.resolve('@kubernetes/client-node')).href },
  { name: '+ own loader, reads a cert kubeconfig', loader: 'own', kubeconfig: 'cert' },
  { name: '+ own loader, exec-plugin kubeconfig (→ client-node)', loader: 'own', kubeconfig: 'exec' },
  { name: 'run\'s imports', before: dist('cli/run.js') },
  { name: 'run\'s imports + client-node, cert kubeconfig', before: dist('cli/run.js'), loader: 'client-node', kubeconfig: 'cert' },
  { name: 'run\'s imports + own loader, cert kubeconfig', before: dist('cli/run.js'), loader: 'own', kubeconfig: 'cert' },
];

// The child, as plain JavaScript (`node -e`): a type-stripping child would count amaro in every row.
const CHILD = `
const gc = () => { globalThis.gc(); globalThis.gc(); };
const row = JSON.parse(process.env.MLO_ROW);
const mem = () => { gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed }; };
const start = mem();
if (row.before) await import(row.before);
const t0 = performance.now();
let server = '';
if (row.loader === 'client-node' || row.loader === 'client-node-config') {
  const { KubeConfig } = await import(row.loader === 'client-node' ? process.env.MLO_CLIENT_NODE : process.env.MLO_CLIENT_NODE_CONFIG);
  const kc = new KubeConfig();
  kc.loadFromFile(row.file);
  server = kc.getCurrentCluster().server;
} else if (row.loader === 'own') {
  const { loadKubeAuth } = await import(process.env.MLO_LOADER);
  server = (await loadKubeAuth(row.file, {})).auth.getCurrentCluster().server;
}
const loadMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ start, end: mem(), loadMs, server }));
`;

interface Figures {
  start: { rss: number; heap: number };
  end: { rss: number; heap: number };
  loadMs: number;
  server: string;
}

function kubeconfigs(dir: string): Record<'cert' | 'exec', string> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const write = (name: string, user: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `apiVersion: v1
kind: Config
current-context: bench
contexts: [{ name: bench, context: { cluster: bench, user: bench, namespace: bench } }]
clusters: [{ name: bench, cluster: { server: 'https://127.0.0.1:6443', certificate-authority-data: ${b64('CA')} } }]
users: [{ name: bench, user: ${user} }]
`);
    return path;
  };
  return {
    cert: write('cert.yaml', `{ client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }`),
    exec: write('exec.yaml', '{ exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/false } }'),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Lines of a source file: all, and those that are neither blank nor comments. */
function lines(file: string): { all: number; code: number } {
  const all = readFileSync(join(root, file), 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  const code = all.filter((l) => !/^\s*($|\/\/|\/\*|\*)/.test(l));
  return { all: all.length, code: code.length };
}

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 7;
const dir = mkdtempSync(join(tmpdir(), 'mlo-kubeconfig-cost-'));
try {
  const files = kubeconfigs(dir);
  const env = {
    ...process.env,
    MLO_CLIENT_NODE: import.meta.resolve('@kubernetes/client-node'),
    MLO_CLIENT_NODE_CONFIG: new URL('config.js', import.meta.resolve('@kubernetes/client-node')).href,
    MLO_LOADER: dist('kube/kubeconfig.js'),
  };
  console.log(`kubeconfig cost, production build (dist/src), median of ${runs} fresh processes per row (node ${process.version}):`);
  console.log('  row                                                      RSS MiB (Δ start)   heap MiB   import+read ms');
  for (const row of ROWS) {
    const all: Figures[] = [];
    for (let r = 0; r < runs; r++) {
      const spec = JSON.stringify({ ...row, ...(row.kubeconfig ? { file: files[row.kubeconfig] } : {}) });
      const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { encoding: 'utf8', env: { ...env, MLO_ROW: spec } });
      all.push(JSON.parse(out) as Figures);
    }
    if (row.loader && all.some((f) => f.server !== 'https://127.0.0.1:6443')) throw new Error(`${row.name}: the kubeconfig was not read`);
    const mib = (f: (x: Figures) => number): string => (median(all.map(f)) / MIB).toFixed(1);
    const rss = `${mib((x) => x.end.rss)} (+${mib((x) => x.end.rss - x.start.rss)})`;
    console.log(`  ${row.name.padEnd(56)} ${rss.padEnd(19)} ${mib((x) => x.end.heap).padEnd(10)} ${row.loader ? median(all.map((x) => x.loadMs)).toFixed(0) : '-'}`);
  }
  const own = lines('src/kube/kubeconfig.ts');
  console.log(`  src/kube/kubeconfig.ts: ${own.all} lines, ${own.code} of code (neither blank nor comment)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
