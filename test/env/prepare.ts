// `npm test` runs this first (npm's pretest hook): it obtains the real
// servers once, outside any test timeout, and says how long that took.
// Cached under ~/.cache/milvus-load-operator, so later runs take a second.
// A first run takes minutes; the build scripts show a progress line meanwhile
// (test/env/build/progress.sh), rewritten in place when we are on a terminal.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { locateKubeAssets } from './kube.ts';
import { standaloneUnavailableReason } from './milvus.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./build/milvus-python.sh', import.meta.url));
// sigs.k8s.io/cli-utils' kstatus, for test/deploy/health-checks.test.ts.
const kstatusScript = fileURLToPath(new URL('./build/kstatus.sh', import.meta.url));
// A real Prometheus, for test/integration/usage-prometheus.test.ts (MLO_PROMETHEUS: an existing binary instead).
const prometheusScript = fileURLToPath(new URL('./build/prometheus.sh', import.meta.url));

// The scripts' stderr is a pipe (kube.ts) or ours; either way they cannot see our terminal themselves.
if (process.stderr.isTTY && process.env.MLO_PROGRESS === undefined) process.env.MLO_PROGRESS = 'tty';

/** Runs milvus-python.sh KIND with its progress and messages on our stderr; rejects with its exit status. */
function milvusVenv(kind: 'lite' | 'standalone'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, kind], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, MLO_QUIET: '1' } });
    const timer = setTimeout(() => child.kill('SIGTERM'), 30 * 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${script} ${kind} failed (${signal ?? `exit ${code}`}); its messages are above`));
    });
  });
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await f();
  console.log(`prepare: ${what} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return r;
}

/**
 * Debian's lua5.1 runs deploy/argocd/health.lua as Argo CD would. Installed
 * here when missing and we are root with apt-get (as on CI's machine);
 * otherwise the tests that need it say how to install it.
 */
async function ensureLua(): Promise<void> {
  const has = await run('lua5.1', ['-v']).then(
    () => true,
    () => false,
  );
  if (has) return;
  if (process.getuid?.() !== 0) {
    console.log('prepare: lua5.1 is missing; install it (apt-get install lua5.1) to run the Argo CD health check tests');
    return;
  }
  await run('apt-get', ['update', '-qq'], { timeout: 10 * 60_000 });
  await run('apt-get', ['install', '-y', '-qq', 'lua5.1'], { timeout: 10 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

try {
  await timed('kube-apiserver, etcd, kubectl', locateKubeAssets);
  await timed('kstatus checker', () => run('bash', [kstatusScript], { timeout: 30 * 60_000 }));
  if (process.env.MLO_PROMETHEUS) console.log(`prepare: Prometheus from MLO_PROMETHEUS=${process.env.MLO_PROMETHEUS}`);
  else await timed('Prometheus', () => run('bash', [prometheusScript], { timeout: 60 * 60_000 }));
  await timed('Lua 5.1 (Argo CD health check tests)', ensureLua);
  await timed('Milvus Lite', () => milvusVenv('lite'));
  const why = standaloneUnavailableReason();
  if (why) console.log(`prepare: Milvus standalone skipped: ${why}`);
  else await timed('Milvus standalone', () => milvusVenv('standalone'));
} catch (e: unknown) {
  console.error(`prepare: could not obtain the test servers: ${e instanceof Error ? e.message : String(e)}`);
  console.error('prepare: the tests need Go (to build kube-apiserver/etcd once) and Python 3 (for Milvus), or KUBEBUILDER_ASSETS pointing at setup-envtest binaries.');
  process.exit(1);
}
