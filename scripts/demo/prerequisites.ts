// What the demo needs on this machine, checked before anything starts, so a
// missing tool is one clear message instead of a failure minutes later.
// Built once and cached in ~/.cache/milvus-load-operator (MLO_CACHE_DIR):
// kube-apiserver/etcd/kubectl (from Go sources) and Milvus Lite (a Python venv).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Prerequisites {
  /** What to install, one item each; empty when all is there. */
  readonly missing: string[];
  /** What the first run builds (minutes, once). */
  readonly firstRun: string[];
}

function runs(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    // Not installed, or not working: either way the answer is "no".
    return false;
  }
}

function cacheDir(): string {
  return process.env.MLO_CACHE_DIR ?? join(homedir(), '.cache', 'milvus-load-operator');
}

function kubeCached(): boolean {
  if (process.env.KUBEBUILDER_ASSETS) return true;
  if (process.env.TEST_ASSET_KUBE_APISERVER && process.env.TEST_ASSET_ETCD && process.env.TEST_ASSET_KUBECTL) return true;
  const kube = join(cacheDir(), 'kube');
  if (!existsSync(kube)) return false;
  const version = process.env.MLO_K8S_VERSION;
  return readdirSync(kube, { withFileTypes: true }).some((v) => v.isDirectory() && (!version || v.name === version) && readdirSync(join(kube, v.name)).some((f) => f.startsWith('.complete-etcd-')));
}

function milvusLiteCached(): boolean {
  const cache = cacheDir();
  if (!existsSync(cache)) return false;
  const version = process.env.MLO_MILVUS_LITE_VERSION;
  return readdirSync(cache).some((d) => d.startsWith(version ? `milvus-lite-${version}` : 'milvus-lite-') && existsSync(join(cache, d, '.complete')));
}

export function checkPrerequisites(): Prerequisites {
  const missing: string[] = [];
  const firstRun: string[] = [];
  if (process.platform !== 'linux' && process.platform !== 'darwin') missing.push(`a Linux or macOS machine (this is ${process.platform}); on Windows use WSL 2`);
  if (!runs('openssl', ['version'])) missing.push('openssl, to make the sandbox certificates (Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl)');
  if (!runs('flock', ['--version'])) missing.push('flock from util-linux (Debian/Ubuntu: apt-get install util-linux; macOS: brew install flock)');
  if (!kubeCached()) {
    const go = runs('go', ['version']) || runs('/usr/local/go/bin/go', ['version']);
    if (!go) {
      missing.push(
        'Go >= 1.26, used once to build kube-apiserver, etcd and kubectl (https://go.dev/dl/); or set KUBEBUILDER_ASSETS to a directory holding kube-apiserver, etcd and kubectl (e.g. from setup-envtest)',
      );
    } else firstRun.push('building kube-apiserver, etcd and kubectl from the Go module proxy (6-10 min on 2 cores)');
  }
  if (!milvusLiteCached()) {
    const py = process.env.MLO_PYTHON ?? 'python3';
    if (!runs(py, ['-c', 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)'])) {
      missing.push('Python >= 3.10 with venv, used once to install Milvus Lite from PyPI (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python); or set MLO_PYTHON to one');
    } else firstRun.push('installing Milvus Lite from PyPI into a virtualenv (1-3 min)');
  }
  return { missing, firstRun };
}
