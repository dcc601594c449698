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

try {
  await timed('kube-apiserver, etcd, kubectl', locateKubeAssets);
  await timed('kstatus checker', () => run('bash', [kstatusScript], { timeout: 30 * 60_000 }));
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
