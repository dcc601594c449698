// `npm test` runs this first (npm's pretest hook): it obtains the real
// servers once, outside any test timeout, and says how long that took.
// Cached under ~/.cache/milvus-load-operator, so later runs take a second.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { locateKubeAssets } from './kube.ts';
import { standaloneUnavailableReason } from './milvus.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./build/milvus-python.sh', import.meta.url));
// sigs.k8s.io/cli-utils' kstatus, for test/deploy/health-checks.test.ts.
const kstatusScript = fileURLToPath(new URL('./build/kstatus.sh', import.meta.url));

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
  await timed('Lua 5.1 (Argo CD health check tests)', ensureLua);
  await timed('Milvus Lite', () => run('bash', [script, 'lite'], { timeout: 30 * 60_000 }));
  const why = standaloneUnavailableReason();
  if (why) console.log(`prepare: Milvus standalone skipped: ${why}`);
  else await timed('Milvus standalone', () => run('bash', [script, 'standalone'], { timeout: 30 * 60_000 }));
} catch (e: unknown) {
  const err = e as { stderr?: string; message?: string };
  console.error(`prepare: could not obtain the test servers.\n${err.stderr ?? err.message ?? String(e)}`);
  console.error('prepare: the tests need Go (to build kube-apiserver/etcd once) and Python 3 (for Milvus), or KUBEBUILDER_ASSETS pointing at setup-envtest binaries.');
  process.exit(1);
}
