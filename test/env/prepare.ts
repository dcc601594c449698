// `npm test` runs this first (npm's pretest hook): it obtains the real
// servers once, outside any test timeout, and says how long that took.
// Cached under ~/.cache/milvus-load-operator, so later runs take a second.
// A first run takes minutes; the build scripts show a progress line meanwhile
// (test/env/build/progress.sh), rewritten in place when we are on a terminal.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { locateKubeAssets } from './kube.ts';
import { standaloneUnavailableReason } from './milvus.ts';

const script = fileURLToPath(new URL('./build/milvus-python.sh', import.meta.url));

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

try {
  await timed('kube-apiserver, etcd, kubectl', locateKubeAssets);
  await timed('Milvus Lite', () => milvusVenv('lite'));
  const why = standaloneUnavailableReason();
  if (why) console.log(`prepare: Milvus standalone skipped: ${why}`);
  else await timed('Milvus standalone', () => milvusVenv('standalone'));
} catch (e: unknown) {
  console.error(`prepare: could not obtain the test servers: ${e instanceof Error ? e.message : String(e)}`);
  console.error('prepare: the tests need Go (to build kube-apiserver/etcd once) and Python 3 (for Milvus), or KUBEBUILDER_ASSETS pointing at setup-envtest binaries.');
  process.exit(1);
}
