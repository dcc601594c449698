// `npm run sandbox -- up|down|status`: a real kube-apiserver (with etcd) and
// Milvus Lite running in the background for people to try the operator on.
// `up` writes .sandbox/kubeconfig and .sandbox/env (KUBECONFIG=…, MILVUS_URI=…,
// ready to `source`); `down` stops exactly what `up` started.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKube } from './kube.ts';
import { startMilvusLite, milvusAnswers } from './milvus.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = process.env.MLO_SANDBOX_DIR ?? join(ROOT, '.sandbox');
const STATE = join(DIR, 'state.json');

interface SandboxState {
  kubeconfig: string;
  server: string;
  milvusUri: string;
  pids: { etcd: number; apiserver: number; milvus: number };
  logs: string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

async function readState(): Promise<SandboxState | undefined> {
  if (!existsSync(STATE)) return undefined;
  return JSON.parse(await readFile(STATE, 'utf8')) as SandboxState;
}

function report(s: SandboxState): void {
  const row = (name: string, pid: number, where: string): string => `  ${name.padEnd(15)} ${alive(pid) ? 'running' : 'STOPPED'}  pid ${String(pid).padEnd(8)} ${where}`;
  console.log(row('etcd', s.pids.etcd, ''));
  console.log(row('kube-apiserver', s.pids.apiserver, s.server));
  console.log(row('Milvus Lite', s.pids.milvus, s.milvusUri));
  console.log(`\n  source ${join(DIR, 'env')}      # sets KUBECONFIG and MILVUS_URI`);
}

async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(-pid, 'SIGKILL');
}

async function down(): Promise<void> {
  const s = await readState();
  if (!s) {
    console.log('sandbox: nothing to stop');
    return;
  }
  // Milvus first, then the apiserver, then its etcd.
  for (const pid of [s.pids.milvus, s.pids.apiserver, s.pids.etcd]) await stopPid(pid);
  await rm(DIR, { recursive: true, force: true });
  console.log('sandbox: stopped kube-apiserver, etcd and Milvus Lite, and removed .sandbox/');
}

async function up(): Promise<void> {
  const existing = await readState();
  if (existing) {
    const all = Object.values(existing.pids).every(alive);
    if (all && (await milvusAnswers(existing.milvusUri.replace('http://', '')))) {
      console.log('sandbox: already up');
      report(existing);
      return;
    }
    console.log('sandbox: a previous sandbox is partly down; replacing it');
    await down();
  }
  await mkdir(DIR, { recursive: true });
  console.log('sandbox: starting etcd and kube-apiserver (the first run builds them from the Go module proxy: several minutes)');
  const kube = await startKube({ dir: join(DIR, 'kube'), persistent: true });
  console.log('sandbox: starting Milvus Lite (the first run installs it from PyPI)');
  let milvus: Awaited<ReturnType<typeof startMilvusLite>>;
  try {
    milvus = await startMilvusLite({ dataDir: join(DIR, 'milvus'), persistent: true });
  } catch (e: unknown) {
    await kube.stop();
    throw e;
  }
  const kubeconfig = join(DIR, 'kubeconfig');
  await writeFile(kubeconfig, await readFile(kube.kubeconfigPath, 'utf8'));
  await writeFile(join(DIR, 'env'), `KUBECONFIG=${kubeconfig}\nMILVUS_URI=${milvus.uri}\nexport KUBECONFIG MILVUS_URI\n`);
  const { etcd, apiserver } = kube.processes();
  const state: SandboxState = {
    kubeconfig,
    server: kube.server,
    milvusUri: milvus.uri,
    pids: { etcd: etcd.pid, apiserver: apiserver.pid, milvus: milvus.pid() },
    logs: [join(DIR, 'kube', 'etcd.log'), join(DIR, 'kube', 'kube-apiserver.log'), join(DIR, 'milvus', 'server.log')],
  };
  await writeFile(STATE, JSON.stringify(state, null, 2));
  console.log('sandbox: up');
  report(state);
}

async function status(): Promise<void> {
  const s = await readState();
  if (!s) {
    console.log('sandbox: not running (start it with `npm run sandbox -- up`)');
    process.exitCode = 3;
    return;
  }
  report(s);
  if (!Object.values(s.pids).every(alive)) process.exitCode = 1;
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { up, down, status };
const action = command ? commands[command] : undefined;
if (!action) {
  console.error('usage: npm run sandbox -- up|down|status');
  process.exitCode = 2;
} else {
  try {
    await action();
  } catch (e: unknown) {
    console.error(`sandbox: ${command} failed: ${(e as Error).message}`);
    console.error(`sandbox: logs are in ${DIR}; \`npm run sandbox -- down\` cleans up`);
    process.exitCode = 1;
  }
}
