// Real Milvus servers for tests, started by the tests themselves:
// - Milvus Lite 3.2.2 (PyPI milvus-lite) as a gRPC server: real load/release,
//   states, progress and databases; no partition loads, replicas, resource
//   groups or segment info (see docs/test-environment.md for the full list).
// - Milvus standalone 2.3.5 (PyPI `milvus`: the Go server with embedded
//   etcd), run directly with a config of our own so that every port it
//   listens on (gRPC, metrics, etcd client and peer, each coordinator) is a
//   free random one: several can run at once.
// Each server gets a temporary data directory and its own process group;
// stop/kill/restart keep the port and the data, dispose removes them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { freePort } from './ports.ts';
import { removeOnExit, spawnManaged, waitUntilReady, type ManagedProcess } from './process.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('./build/milvus-python.sh', import.meta.url));

export type MilvusKind = 'lite' | 'standalone';

export interface MilvusServer {
  readonly kind: MilvusKind;
  /** `http://127.0.0.1:PORT`, the form policies use. */
  readonly uri: string;
  /** `127.0.0.1:PORT`, the form the SDK's `address` takes. */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  /** Standalone only: the server's Prometheus endpoint (`http://127.0.0.1:METRICS_PORT/metrics`, the proxy's counters among them); undefined for Lite, which has none. */
  readonly metricsUrl: string | undefined;
  /** The server's pid (a new one after restart); it leads the process group. */
  pid(): number;
  /** Graceful stop (SIGTERM to the group); the data directory is kept. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL to the group, as a crash. */
  kill(): Promise<void>;
  /** Stop if running, then start again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop and remove the data directory (unless it was given). Safe to call twice. */
  dispose(): Promise<void>;
}

export interface MilvusStartOptions {
  /** Keep data here (created if missing, never removed by dispose). Default: a new temporary directory. */
  dataDir?: string;
  /** Outlive this process (the sandbox). */
  persistent?: boolean;
  /** How long to wait for the first successful ShowCollections. */
  readyTimeoutMs?: number;
  /** Standalone only: turn on authentication (`common.security.authorizationEnabled`); the user is root / Milvus. */
  auth?: boolean;
}

/** The user Milvus creates when authentication is on. */
export const MILVUS_ROOT = { username: 'root', password: 'Milvus' } as const;

/** Thrown when a kind of Milvus cannot run on this machine; `message` is the reason, fit for `t.skip()`. */
export class MilvusUnavailableError extends Error {
  override readonly name = 'MilvusUnavailableError';
}

/**
 * Runs the build script (instant when the venv is cached). Its stderr goes to
 * ours: a line when it builds, nothing otherwise.
 */
function venv(kind: MilvusKind): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, kind], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MLO_QUIET: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      process.stderr.write(b);
    });
    child.on('error', reject);
    // 'close', not 'exit': stdout may still hold the directory when the process has exited.
    child.on('close', (code) => {
      const dir = out.trim().split('\n').pop() ?? '';
      if (code === 0 && dir !== '') resolve(dir);
      else reject(new MilvusUnavailableError(`Milvus ${kind} could not be installed (${BUILD_SCRIPT} exited ${String(code)}): ${err.trim().split('\n').slice(-3).join(' / ') || 'no output'}`));
    });
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

function httpOk(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('OK')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** True once the server answers ShowCollections (list_collections) with a success status. */
export async function milvusAnswers(address: string, credentials?: { username: string; password: string }): Promise<boolean> {
  const port = Number(address.split(':').pop());
  if (!(await tcpOpen(port))) return false;
  // A private subchannel pool: a probe must not inherit (or leave) a long gRPC reconnect backoff.
  // Keepalive pings only during calls: the SDK's channel outlives closeConnection(), and Milvus Lite
  // answers its idle pings (every 10 s) with GOAWAY, which grpc-js prints as an error (see src/milvus/sdk-adapter.ts).
  const client = new MilvusClient({
    address,
    ...credentials,
    timeout: 3000,
    maxRetries: 0,
    logLevel: 'error',
    telemetry: { enabled: false },
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.keepalive_permit_without_calls': 0 },
  });
  // The SDK sends Connect from its constructor; while the server starts that fails, unhandled unless caught here.
  client.connectPromise.catch(() => undefined);
  try {
    const r = await client.showCollections();
    return r.status?.code === 0 && r.status.error_code === 'Success';
  } catch {
    // Not up yet: the SDK throws on a connection failure or an empty reply.
    return false;
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}

interface LaunchSpec {
  port: number;
  /** Every port the server will listen on: checked free before each start. */
  ports: number[];
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  ready?: () => Promise<boolean>;
  /** Where the server requires them, for the readiness probe. */
  credentials?: { username: string; password: string };
  /** The server's /metrics, where it has one. */
  metricsUrl?: string;
}

/** Free on every interface (Milvus listens on all of them). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function takenPorts(ports: readonly number[]): Promise<number[]> {
  const free = await Promise.all(ports.map(portFree));
  return ports.filter((_, i) => !free[i]);
}

class PortTakenError extends Error {}

/** The first error lines of a server log: a Go panic's goroutine dump buries them far above the tail. */
async function firstErrors(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => /panic:|fatal|\[ERROR\]|"level":"(error|fatal)"|address already in use|failed to bind/i.test(l));
  return lines.length === 0 ? '' : `\nFirst errors in ${logFile}:\n${lines.slice(0, 5).map((l) => l.slice(0, 400)).join('\n')}`;
}

interface Launch {
  kind: MilvusKind;
  opts: MilvusStartOptions;
  readyTimeoutMs: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs: number;
  /** Picks ports, writes config, says what to run. Attempt 0 may reuse the ports a data directory was last run with; a retry after a port clash takes new ones. */
  prepare(dataDir: string, attempt: number): Promise<LaunchSpec>;
}

async function startServer(launch: Launch): Promise<MilvusServer> {
  const ownDir = launch.opts.dataDir === undefined;
  const dataDir = launch.opts.dataDir ?? (await mkdtemp(join(tmpdir(), `mlo-milvus-${launch.kind}-`)));
  // A temporary data directory (a standalone's is ~200 MB) goes when the test process exits, even without dispose().
  const keep = !ownDir || launch.opts.persistent === true || Boolean(process.env.MLO_KEEP_TEST_DIRS);
  const forget = keep ? (): void => undefined : removeOnExit(dataDir);
  const removeDataDir = async (): Promise<void> => {
    forget();
    if (!keep) await rm(dataDir, { recursive: true, force: true });
  };
  await mkdir(dataDir, { recursive: true });
  // A port taken between freePort() and the server's bind: try other ports.
  let attempt = 0;
  for (;;) {
    const spec = await launch.prepare(dataDir, attempt);
    const address = `127.0.0.1:${spec.port}`;
    const begin = async (): Promise<ManagedProcess> => {
      // Milvus standalone does not fail on a taken port: it listens on another one, where no client looks.
      const taken = await takenPorts(spec.ports);
      if (taken.length > 0) throw new PortTakenError(`Milvus ${launch.kind} on ${address}: port ${taken.join(', ')} is taken by another process`);
      const p = spawnManaged(`milvus-${launch.kind}`, spec.command, spec.args, { cwd: dataDir, env: spec.env, logFile: join(dataDir, 'server.log'), persistent: launch.opts.persistent ?? false });
      const ready = async (): Promise<boolean> => (await milvusAnswers(address, spec.credentials)) && (spec.ready === undefined || (await spec.ready()));
      try {
        await waitUntilReady(p, `Milvus ${launch.kind} on ${address}`, ready, launch.opts.readyTimeoutMs ?? launch.readyTimeoutMs, 200);
      } catch (e: unknown) {
        throw new Error(`${(e as Error).message}${await firstErrors(join(dataDir, 'server.log'))}`, { cause: e });
      }
      return p;
    };
    let proc: ManagedProcess;
    try {
      proc = await begin();
    } catch (e: unknown) {
      // A port taken between choosing it and binding it: choose others (a first start only; restart keeps its ports).
      if (attempt++ < 3 && (e instanceof PortTakenError || /address already in use|failed to bind/i.test((e as Error).message))) continue;
      await removeDataDir();
      throw e;
    }
    let disposed = false;
    return {
      kind: launch.kind,
      uri: `http://${address}`,
      address,
      port: spec.port,
      dataDir,
      metricsUrl: spec.metricsUrl,
      pid: () => proc.pid,
      stop: () => proc.stop(launch.stopGraceMs),
      kill: () => proc.kill(),
      async restart() {
        await proc.stop(launch.stopGraceMs);
        proc = await begin();
      },
      async dispose() {
        if (disposed) return;
        disposed = true;
        await proc.stop(launch.stopGraceMs);
        await removeDataDir();
      },
    };
  }
}

export async function startMilvusLite(opts: MilvusStartOptions = {}): Promise<MilvusServer> {
  const bin = join(await venv('lite'), 'bin', 'milvus-lite');
  return startServer({
    kind: 'lite',
    opts,
    readyTimeoutMs: 60_000,
    stopGraceMs: 5000,
    async prepare(dataDir) {
      const port = await freePort();
      return { port, ports: [port], command: bin, args: ['server', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)] };
    },
  });
}

/** Why Milvus standalone cannot run here (cheap checks only), or undefined. MLO_MILVUS_STANDALONE=0 turns it off. */
export function standaloneUnavailableReason(): string | undefined {
  if (process.env.MLO_MILVUS_STANDALONE === '0') return 'MLO_MILVUS_STANDALONE=0 turns the Milvus standalone tier off';
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the PyPI milvus package ships a Linux x86_64 server only (this is ${process.platform}/${process.arch})`;
  return undefined;
}

let availability: Promise<{ lite: true | string; standalone: true | string }> | undefined;

/** Whether each kind can run here (building its venv if needed, once per process); a string says why not. */
export function milvusAvailability(): Promise<{ lite: true | string; standalone: true | string }> {
  const check = async (kind: MilvusKind, why?: string): Promise<true | string> => {
    if (why !== undefined) return why;
    try {
      await venv(kind);
      return true;
    } catch (e: unknown) {
      return (e as Error).message;
    }
  };
  availability ??= (async () => ({ lite: await check('lite'), standalone: await check('standalone', standaloneUnavailableReason()) }))();
  return availability;
}

/** Every port the standalone server listens on, as named in the package's config template. */
const STANDALONE_PORTS = ['proxy_port', 'proxy_internal_port', 'root_coord_port', 'query_coord_port', 'query_node_port', 'index_coord_port', 'index_node_port', 'data_coord_port', 'data_node_port', 'etcd_port'] as const;

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/**
 * milvus.yaml from the package's template (`{{ key(type): default }}`
 * placeholders), as its launcher would write it, but with our ports and
 * directories; plus an embedded-etcd config, since etcd otherwise listens on
 * 2379/2380 whatever milvus.yaml says.
 */
interface StandalonePorts {
  proxyPort: number;
  metricsPort: number;
  configDir: string;
  /** All of them. */
  ports: number[];
}

async function writeStandaloneConfig(serverDir: string, dataDir: string, reuse: boolean, auth: boolean): Promise<StandalonePorts> {
  const configDir = join(dataDir, 'configs');
  const saved = join(configDir, 'ports.json');
  // Embedded etcd keeps its peer address in its data: a data directory keeps its ports.
  if (reuse && existsSync(saved)) {
    const last = JSON.parse(await readFile(saved, 'utf8')) as Partial<StandalonePorts>;
    if (Array.isArray(last.ports) && last.proxyPort && last.metricsPort) return { ...last, configDir } as StandalonePorts;
  }
  const [metricsPort = 0, etcdPeerPort = 0, ...rest] = await distinctFreePorts(STANDALONE_PORTS.length + 2);
  const values: Record<string, string> = {
    etcd_log_path: join(dataDir, 'logs', 'etcd.log'),
    etcd_data_dir: join(dataDir, 'data', 'etcd.data'),
    local_storage_dir: join(dataDir, 'data'),
    rocksmq_data_dir: join(dataDir, 'data', 'rocksmq'),
    system_log_path: join(dataDir, 'logs'),
  };
  STANDALONE_PORTS.forEach((key, i) => (values[key] = String(rest[i])));
  const template = await readFile(join(serverDir, 'config.yaml.template'), 'utf8');
  const yaml = template.replace(/\{\{(.*?)\}\}/g, (_, inner: string) => {
    const [head = '', fallback] = inner.split(/:(.*)/s);
    const key = head.replace(/\(.*\)/, '').trim();
    const value = values[key] ?? fallback?.trim();
    if (value === undefined) throw new Error(`Milvus config template: no value for {{${inner}}}`);
    return value;
  });
  // Components advertise `<role>.ip` to each other; empty means the machine's first non-loopback address. Keep them on loopback.
  const loopbackYaml = yaml
    .replace(/^( {2}ip:)[ \t]*(#.*)?$/gm, (_, key: string, comment?: string) => `${key} 127.0.0.1${comment ? ` ${comment}` : ''}`)
    // After a crash, a restarted server waits for its old sessions' etcd leases to expire before it reloads collections: 30 s by default.
    .replace(/^( {4}ttl:) 30( # ttl value when session)/m, '$1 10$2');
  const authYaml = auth ? loopbackYaml.replace(/^( {4}authorizationEnabled:) false/m, '$1 true') : loopbackYaml;
  if (auth && authYaml === loopbackYaml) throw new Error(`Milvus config template: no "authorizationEnabled: false" under common.security to turn on (${serverDir}/config.yaml.template)`);
  const etcdClient = `http://127.0.0.1:${values.etcd_port ?? ''}`;
  const etcdPeer = `http://127.0.0.1:${etcdPeerPort}`;
  await mkdir(configDir, { recursive: true });
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  await writeFile(join(configDir, 'milvus.yaml'), authYaml);
  await writeFile(
    join(configDir, 'embedEtcd.yaml'),
    [`listen-client-urls: ${etcdClient}`, `advertise-client-urls: ${etcdClient}`, `listen-peer-urls: ${etcdPeer}`, `initial-advertise-peer-urls: ${etcdPeer}`, `initial-cluster: default=${etcdPeer}`, ''].join('\n'),
  );
  await copyFile(join(serverDir, 'glog.conf'), join(configDir, 'glog.conf'));
  const result: StandalonePorts = { proxyPort: Number(values.proxy_port), metricsPort, configDir, ports: [metricsPort, etcdPeerPort, ...rest] };
  await writeFile(saved, JSON.stringify(result));
  return result;
}

export async function startMilvusStandalone(opts: MilvusStartOptions = {}): Promise<MilvusServer> {
  const reason = standaloneUnavailableReason();
  if (reason !== undefined) throw new MilvusUnavailableError(reason);
  const serverDir = join(await venv('standalone'), 'server');
  const bin = join(serverDir, 'bin', 'milvus');
  if (!existsSync(bin)) throw new MilvusUnavailableError(`${bin} is missing: remove ${serverDir}/.. and run ${BUILD_SCRIPT} standalone`);
  return startServer({
    kind: 'standalone',
    opts,
    // Cold caches on a busy 2-core machine: usually 2-6 s.
    readyTimeoutMs: 180_000,
    // Its graceful shutdown hangs after the proxy has stopped; the package's own launcher kills it after 1 s.
    stopGraceMs: 3000,
    async prepare(dataDir, attempt) {
      const { proxyPort, metricsPort, configDir, ports } = await writeStandaloneConfig(serverDir, dataDir, attempt === 0, opts.auth === true);
      return {
        port: proxyPort,
        ports,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        ...(opts.auth === true ? { credentials: { ...MILVUS_ROOT } } : {}),
        command: bin,
        args: ['run', 'standalone'],
        env: {
          ...process.env,
          DEPLOY_MODE: 'STANDALONE',
          MILVUSCONF: configDir,
          ETCD_CONFIG_PATH: join(configDir, 'embedEtcd.yaml'),
          METRICS_PORT: String(metricsPort),
          MILVUS_RUN_DIR: join(dataDir, 'run'),
          LD_LIBRARY_PATH: [join(serverDir, 'bin'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        },
        // ShowCollections answers once the proxy and root coordinator are up; /healthz also waits for the query and data nodes.
        ready: () => httpOk(metricsPort, '/healthz'),
      };
    },
  });
}
