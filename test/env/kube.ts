// A real Kubernetes control plane for tests, started the way
// controller-runtime's envtest starts one: etcd plus kube-apiserver on free
// ports, serving TLS from a CA made for the run, an admin client certificate
// in system:masters, RBAC authorization, and service-account signing keys so
// that TokenRequest works.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './process.ts';

const run = promisify(execFile);

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

export interface KubeEnv {
  /** Admin kubeconfig (client certificate in system:masters). */
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly assets: KubeAssets;
  readonly dir: string;
  readonly processes: () => { etcd: ManagedProcess; apiserver: ManagedProcess };
  kubectl(args: readonly string[], opts?: { input?: string; kubeconfig?: string }): Promise<CommandResult>;
  /** Mints a token for the ServiceAccount via TokenRequest and writes a kubeconfig that uses it. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Stops kube-apiserver and etcd and starts them again on the same ports and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const BUILD_SCRIPT = fileURLToPath(new URL('./build/kube-assets.sh', import.meta.url));

/** TEST_ASSET_* first, then KUBEBUILDER_ASSETS, then the cache (built from the Go module proxy on first use). */
export async function locateKubeAssets(): Promise<KubeAssets> {
  const { TEST_ASSET_KUBE_APISERVER: a, TEST_ASSET_ETCD: e, TEST_ASSET_KUBECTL: k, KUBEBUILDER_ASSETS: kb } = process.env;
  if (a && e && k) return { apiserver: a, etcd: e, kubectl: k };
  if (kb) {
    const found = { apiserver: join(kb, 'kube-apiserver'), etcd: join(kb, 'etcd'), kubectl: join(kb, 'kubectl') };
    if (Object.values(found).every((p) => existsSync(p))) return found;
    throw new Error(`KUBEBUILDER_ASSETS=${kb} lacks kube-apiserver, etcd or kubectl; point it at a setup-envtest directory that has all three`);
  }
  const { stdout } = await run('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20, timeout: 60 * 60_000 });
  const bin = stdout.trim().split('\n').pop() ?? '';
  return { apiserver: join(bin, 'kube-apiserver'), etcd: join(bin, 'etcd'), kubectl: join(bin, 'kubectl') };
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A tiny CA, the apiserver's serving certificate, an admin client certificate and the service-account key pair. */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=milvus-load-operator-test-ca']);
  await writeFile(join(dir, 'serving.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = async (name: string, subject: string, ext: string): Promise<void> => {
    await openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '3650', '-extfile', ext]);
  };
  await sign('serving', '/CN=localhost', 'serving.ext');
  await sign('admin', '/O=system:masters/CN=admin', 'client.ext');
  await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfig(server: string, dir: string, user: { cert: string; key: string } | { token: string }): string {
  const auth = 'token' in user ? `    token: ${user.token}` : `    client-certificate: ${user.cert}\n    client-key: ${user.key}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: ${server}
    certificate-authority: ${join(dir, 'ca.crt')}
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

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function httpsOk(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startKube(opts: { dir?: string; persistent?: boolean } = {}): Promise<KubeEnv> {
  const assets = await locateKubeAssets();
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'mlo-kube-')));
  await mkdir(join(dir, 'etcd'), { recursive: true });
  await makeCertificates(dir);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const tls = { ca: await readFile(join(dir, 'ca.crt')), cert: await readFile(join(dir, 'admin.crt')), key: await readFile(join(dir, 'admin.key')) };

  const startEtcd = async (): Promise<ManagedProcess> => {
    const p = spawnManaged('etcd', assets.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ], { logFile: join(dir, 'etcd.log'), persistent: opts.persistent ?? false });
    await waitUntilReady(p, 'etcd', () => httpOk(`http://127.0.0.1:${etcdPort}/health`), 30_000);
    return p;
  };
  const startApiserver = async (): Promise<ManagedProcess> => {
    const p = spawnManaged('kube-apiserver', assets.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${dir}`,
      `--tls-cert-file=${join(dir, 'serving.crt')}`,
      `--tls-private-key-file=${join(dir, 'serving.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--v=0',
    ], { logFile: join(dir, 'kube-apiserver.log'), persistent: opts.persistent ?? false });
    await waitUntilReady(p, 'kube-apiserver', () => httpsOk(`${server}/readyz`, tls), 90_000, 200);
    return p;
  };

  let etcd = await startEtcd();
  let apiserver: ManagedProcess;
  try {
    apiserver = await startApiserver();
  } catch (e: unknown) {
    await etcd.stop();
    throw e;
  }
  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(server, dir, { cert: join(dir, 'admin.crt'), key: join(dir, 'admin.key') }));
  let stopped = false;

  const kubectl = (args: readonly string[], o: { input?: string; kubeconfig?: string } = {}): Promise<CommandResult> =>
    new Promise((resolve) => {
      const child = execFile(assets.kubectl, [`--kubeconfig=${o.kubeconfig ?? kubeconfigPath}`, ...args], { maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin?.end(o.input);
      else child.stdin?.end();
    });

  return {
    kubeconfigPath,
    server,
    assets,
    dir,
    processes: () => ({ etcd, apiserver }),
    kubectl,
    async serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
      const r = await kubectl(['create', 'token', name, '-n', namespace, '--duration=2h']);
      if (r.code !== 0) throw new Error(`kubectl create token ${namespace}/${name} failed: ${r.stderr}`);
      const path = join(dir, `sa-${namespace}-${name}.kubeconfig`);
      await writeFile(path, kubeconfig(server, dir, { token: r.stdout.trim() }));
      return path;
    },
    async restart(): Promise<void> {
      await apiserver.stop();
      await etcd.stop();
      etcd = await startEtcd();
      apiserver = await startApiserver();
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await apiserver.stop();
      await etcd.stop();
      if (!opts.dir && !process.env.MLO_KEEP_TEST_DIRS) await rm(dir, { recursive: true, force: true });
    },
  };
}
