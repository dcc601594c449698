// A real Kubernetes control plane for tests, started the way
// controller-runtime's envtest starts one: etcd plus kube-apiserver on free
// ports, serving TLS from a CA made for the run, an admin client certificate
// in system:masters, RBAC authorization, and service-account signing keys so
// that TokenRequest works. No controllers run: nothing creates pods, default
// ServiceAccounts or garbage-collects, exactly as with envtest.
import { execFile, spawn } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './process.ts';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

export interface KubeAssets {
  apiserver: string;
  etcd: string;
  kubectl: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  /** Another kubeconfig, e.g. one from `kubeconfigForToken`. Default: the admin's. */
  kubeconfig?: string;
  timeoutMs?: number;
}

export interface KubeEnv {
  /** Admin kubeconfig (client certificate in system:masters). */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly assets: KubeAssets;
  /** Same as `assets.kubectl`: the kubectl built with the server, so no version skew. */
  readonly kubectlPath: string;
  /** Directory of kube-apiserver (with the cache or KUBEBUILDER_ASSETS: all three binaries). */
  readonly binDir: string;
  /**
   * Certificates, keys, kubeconfigs, logs and etcd's data. Removed by `stop()`
   * or when the test process dies (see temp-dir.ts), unless it was passed in
   * or MLO_KEEP_TEST_DIRS is set.
   */
  readonly dir: string;
  /** The CA that signed the serving certificate and the admin's client certificate. */
  readonly caCertPath: string;
  readonly adminCertPath: string;
  readonly adminKeyPath: string;
  /** Milliseconds from the call of startKube until /readyz answered. */
  readonly startedInMs: number;
  readonly processes: () => { etcd: ManagedProcess; apiserver: ManagedProcess };
  /** Runs the env's kubectl with the admin kubeconfig (or `opts.kubeconfig`). Never throws on a non-zero exit. */
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<CommandResult>;
  /** A token for the ServiceAccount, minted by the TokenRequest API (`kubectl create token`). */
  createToken(namespace: string, name: string, opts?: { duration?: string; audiences?: readonly string[] }): Promise<string>;
  /** Writes a kubeconfig that authenticates with `token` and returns its path. */
  kubeconfigForToken(token: string): Promise<string>;
  /** `createToken` then `kubeconfigForToken`. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Stops kube-apiserver and etcd and starts them again on the same ports and data. */
  restart(): Promise<void>;
  /** Stops exactly the processes this env started, then removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

const BUILD_SCRIPT = fileURLToPath(new URL('./build/kube-assets.sh', import.meta.url));
const BINARIES = {
  apiserver: { file: 'kube-apiserver', env: 'TEST_ASSET_KUBE_APISERVER' },
  etcd: { file: 'etcd', env: 'TEST_ASSET_ETCD' },
  kubectl: { file: 'kubectl', env: 'TEST_ASSET_KUBECTL' },
} as const;
type Binary = keyof typeof BINARIES;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES') return false;
    throw e;
  }
}

/**
 * Runs build/kube-assets.sh: prints the cache's bin directory at once when it
 * is built, otherwise builds it (one line of notice first, then Go's output on
 * our stderr so a long first build is visibly alive).
 */
function buildKubeAssets(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      process.stderr.write(c);
      stderrTail = (stderrTail + c.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 90 * 60_000);
    child.on('error', reject);
    // 'close', not 'exit': stdout may still hold the directory when the process has exited.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const bin = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && bin) resolve(bin);
      else reject(new Error(`${BUILD_SCRIPT} failed (${signal ?? `exit ${code}`}); set KUBEBUILDER_ASSETS to a directory with kube-apiserver, etcd and kubectl to skip the build. Its last output:\n${stderrTail}`));
    });
  });
}

let located: { key: string; assets: Promise<KubeAssets> } | undefined;

/**
 * Where kube-apiserver, etcd and kubectl are, per binary, like envtest:
 * TEST_ASSET_KUBE_APISERVER / TEST_ASSET_ETCD / TEST_ASSET_KUBECTL, then the
 * KUBEBUILDER_ASSETS directory, then the cache (built from the Go module proxy
 * on first use; several minutes, once per machine).
 */
export function locateKubeAssets(): Promise<KubeAssets> {
  const key = JSON.stringify(['KUBEBUILDER_ASSETS', ...Object.values(BINARIES).map((b) => b.env)].map((v) => process.env[v]));
  if (located?.key !== key) {
    const assets = locate();
    located = { key, assets };
    assets.catch(() => {
      if (located?.assets === assets) located = undefined;
    });
  }
  return located.assets;
}

async function locate(): Promise<KubeAssets> {
  const found: Partial<KubeAssets> = {};
  const kb = process.env.KUBEBUILDER_ASSETS;
  for (const key of Object.keys(BINARIES) as Binary[]) {
    const { file, env } = BINARIES[key];
    const explicit = process.env[env];
    if (explicit) {
      if (!isExecutable(explicit)) throw new Error(`${env}=${explicit} is not an executable file; fix the path or unset ${env}`);
      found[key] = explicit;
    } else if (kb) {
      if (!isExecutable(join(kb, file))) throw new Error(`KUBEBUILDER_ASSETS=${kb} has no executable ${file}; point it at a setup-envtest directory (kube-apiserver, etcd, kubectl) or unset it to use the cache`);
      found[key] = join(kb, file);
    }
  }
  if (found.apiserver && found.etcd && found.kubectl) return { apiserver: found.apiserver, etcd: found.etcd, kubectl: found.kubectl };
  const bin = await buildKubeAssets();
  return {
    apiserver: found.apiserver ?? join(bin, BINARIES.apiserver.file),
    etcd: found.etcd ?? join(bin, BINARIES.etcd.file),
    kubectl: found.kubectl ?? join(bin, BINARIES.kubectl.file),
  };
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (e: unknown) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('the `openssl` command is needed to make the test CA and certificates; install it (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args.join(' ')} failed in ${dir}: ${err.stderr ?? err.message}`);
  }
}

/**
 * A tiny CA (as envtest's TinyCA), the apiserver's serving certificate, an
 * admin client certificate in system:masters, and the service-account key
 * pair. Node can make keys but not X.509 certificates, hence openssl.
 */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const serviceAccountKeys = generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).then(({ publicKey, privateKey }) => Promise.all([writeFile(join(dir, 'sa.pub'), publicKey), writeFile(join(dir, 'sa.key'), privateKey, { mode: 0o600 })]));
  await Promise.all([
    writeFile(join(dir, 'serving.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'),
    writeFile(join(dir, 'client.ext'), 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'),
    openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=milvus-load-operator-test-ca']),
  ]);
  const sign = async (name: string, subject: string, ext: string): Promise<void> => {
    await openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${name === 'serving' ? '01' : '02'}`, '-out', `${name}.crt`, '-days', '3650', '-extfile', ext]);
  };
  await Promise.all([sign('serving', '/CN=localhost', 'serving.ext'), sign('admin', '/O=system:masters/CN=admin', 'client.ext'), serviceAccountKeys]);
}

function kubeconfig(server: string, caPath: string, user: { cert: string; key: string } | { token: string }): string {
  const auth = 'token' in user ? `    token: ${user.token}` : `    client-certificate: ${user.cert}\n    client-key: ${user.key}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: ${server}
    certificate-authority: ${caPath}
users:
- name: user
  user:
${auth}
contexts:
- name: envtest
  context: { cluster: envtest, user: user, namespace: default }
current-context: envtest
`;
}

/** The HTTP status of a GET, or 0 when the server does not answer. */
function getStatus(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((resolve) => {
    const request = tls ? httpsRequest : httpRequest;
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const ADDRESS_IN_USE = /address already in use/i;

export async function startKube(opts: { dir?: string; persistent?: boolean } = {}): Promise<KubeEnv> {
  const t0 = Date.now();
  const assets = await locateKubeAssets();
  // Ours to remove unless the caller gave it or wants to read the logs after.
  const temp = opts.dir || process.env.MLO_KEEP_TEST_DIRS ? undefined : await makeTempDir('mlo-kube-');
  const dir = opts.dir ?? temp?.path ?? (await mkdtemp(join(tmpdir(), 'mlo-kube-kept-')));
  const removeDir = async (): Promise<void> => {
    await temp?.remove();
  };
  const persistent = opts.persistent ?? false;
  const path = (f: string): string => join(dir, f);
  let etcdPort = 0;
  let peerPort = 0;
  let apiPort = 0;
  let server = '';

  const startEtcd = async (): Promise<ManagedProcess> => {
    const p = spawnManaged('etcd', assets.etcd, [
      '--name=default',
      `--data-dir=${path('etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      // Test data need not survive a power cut; fsync dominates etcd's latency.
      '--unsafe-no-fsync=true',
      // A single member has no one to lose an election to; short ticks make
      // it leader in ~0.1 s instead of ~0.5 s.
      '--heartbeat-interval=10',
      '--election-timeout=100',
      '--log-level=warn',
    ], { logFile: path('etcd.log'), persistent });
    await waitUntilReady(p, 'etcd', async () => (await getStatus(`http://127.0.0.1:${etcdPort}/health`)) === 200, 30_000);
    return p;
  };

  const startApiserver = async (): Promise<ManagedProcess> => {
    const tls = { ca: await readFile(path('ca.crt')), cert: await readFile(path('admin.crt')), key: await readFile(path('admin.key')) };
    const p = spawnManaged('kube-apiserver', assets.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${dir}`,
      `--tls-cert-file=${path('serving.crt')}`,
      `--tls-private-key-file=${path('serving.key')}`,
      `--client-ca-file=${path('ca.crt')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${path('sa.pub')}`,
      `--service-account-signing-key-file=${path('sa.key')}`,
      // The rest as envtest passes them: no controller makes default
      // ServiceAccounts, so their admission plugin would reject every pod.
      '--service-cluster-ip-range=10.0.0.0/24',
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      // Since v1.37 the default (lease) endpoint reconciler refuses a loopback
      // advertise address; nothing in a test cluster could use the
      // `kubernetes` Service's endpoints anyway.
      '--endpoint-reconciler-type=none',
      // Not envtest's: API priority and fairness is not under test, and its
      // bookkeeping costs CPU on small CI machines.
      '--enable-priority-and-fairness=false',
      '--v=0',
    ], { logFile: path('kube-apiserver.log'), persistent });
    // /readyz covers etcd, the CRD and RBAC bootstrap hooks; the default
    // namespace comes from a controller loop a moment later, and tests use it.
    const ready = async (): Promise<boolean> =>
      (await getStatus(`${server}/readyz`, tls)) === 200 && (await getStatus(`${server}/api/v1/namespaces/default`, tls)) === 200;
    await waitUntilReady(p, 'kube-apiserver', ready, 90_000, 100);
    return p;
  };

  // Free ports can be taken by someone else between our probe and the bind
  // (parallel test files start servers too): choose again a few times.
  const startBoth = async (): Promise<{ etcd: ManagedProcess; apiserver: ManagedProcess }> => {
    for (let attempt = 1; ; attempt++) {
      [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
      server = `https://127.0.0.1:${apiPort}`;
      let etcd: ManagedProcess | undefined;
      try {
        etcd = await startEtcd();
        return { etcd, apiserver: await startApiserver() };
      } catch (e: unknown) {
        await etcd?.stop();
        if (attempt >= 3 || !ADDRESS_IN_USE.test((e as Error).message)) throw e;
        await rm(path('etcd'), { recursive: true, force: true });
      }
    }
  };

  let procs: { etcd: ManagedProcess; apiserver: ManagedProcess };
  try {
    await mkdir(path('etcd'), { recursive: true, mode: 0o700 });
    await makeCertificates(dir);
    procs = await startBoth();
  } catch (e: unknown) {
    await removeDir();
    throw e;
  }

  const kubeconfigPath = path('admin.kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(server, path('ca.crt'), { cert: path('admin.crt'), key: path('admin.key') }));
  let tokenFiles = 0;
  let stopping: Promise<void> | undefined;

  const kubectlOnce = (args: readonly string[], o: KubectlOptions = {}): Promise<CommandResult> =>
    new Promise((resolve) => {
      // Its own discovery cache: ports are reused across runs, and a stale
      // cache from an earlier server on the same port would hide new CRDs.
      const all = [`--kubeconfig=${o.kubeconfig ?? kubeconfigPath}`, `--cache-dir=${path('kubectl-cache')}`, ...args];
      const child = execFile(assets.kubectl, all, { maxBuffer: 64 << 20, timeout: o.timeoutMs ?? 120_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr: err !== null && err.killed ? `${stderr}\nkubectl ${args.join(' ')}: killed after ${o.timeoutMs ?? 120_000} ms` : stderr });
      });
      child.stdin?.end(o.input ?? '');
    });

  // `kubectl wait --for=condition=...` on an object whose status has no
  // conditions yet (a CRD right after `apply`) fails at once with
  // ".status.conditions accessor error" instead of waiting. Retry that case
  // (only that one) for up to 30 s, so that every test gets a real wait.
  const kubectl = async (args: readonly string[], o: KubectlOptions = {}): Promise<CommandResult> => {
    const waiting = args[0] === 'wait' && args.some((a) => a.startsWith('--for=condition='));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await kubectlOnce(args, o);
      if (!waiting || r.code === 0 || !/status\.conditions accessor error/.test(r.stderr) || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 200));
    }
  };

  const createToken = async (namespace: string, name: string, t: { duration?: string; audiences?: readonly string[] } = {}): Promise<string> => {
    const audiences = (t.audiences ?? []).map((a) => `--audience=${a}`);
    const r = await kubectl(['create', 'token', name, '-n', namespace, `--duration=${t.duration ?? '1h'}`, ...audiences]);
    if (r.code !== 0) throw new Error(`kubectl create token ${name} -n ${namespace} failed (does the ServiceAccount exist?): ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const kubeconfigForToken = async (token: string): Promise<string> => {
    const file = path(`token-${++tokenFiles}.kubeconfig`);
    await writeFile(file, kubeconfig(server, path('ca.crt'), { token }), { mode: 0o600 });
    return file;
  };

  return {
    kubeconfigPath,
    server,
    assets,
    kubectlPath: assets.kubectl,
    binDir: dirname(assets.apiserver),
    dir,
    caCertPath: path('ca.crt'),
    adminCertPath: path('admin.crt'),
    adminKeyPath: path('admin.key'),
    startedInMs: Date.now() - t0,
    processes: () => procs,
    kubectl,
    createToken,
    kubeconfigForToken,
    serviceAccountKubeconfig: async (namespace, name) => kubeconfigForToken(await createToken(namespace, name)),
    async restart(): Promise<void> {
      await procs.apiserver.stop();
      await procs.etcd.stop();
      const etcd = await startEtcd();
      procs = { etcd, apiserver: procs.apiserver };
      procs = { etcd, apiserver: await startApiserver() };
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        await procs.apiserver.stop();
        await procs.etcd.stop();
        await removeDir();
      })();
      return stopping;
    },
  };
}
