// Real Milvus servers for tests, started by the tests themselves:
// - Milvus Lite (PyPI milvus-lite) as a gRPC server: real load/release,
//   states, progress and databases; no partitions, replicas or resource groups.
// - Milvus standalone (PyPI `milvus`: the Go server with embedded etcd), where
//   it runs (see docs/test-environment.md for what it does on this machine).
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { freePort } from './ports.ts';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './process.ts';

const run = promisify(execFile);
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
  pid(): number;
  /** Graceful stop; the data directory is kept until `dispose`. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop and remove the data directory. Safe to call twice. */
  dispose(): Promise<void>;
}

async function venv(kind: MilvusKind): Promise<string> {
  const { stdout } = await run('bash', [BUILD_SCRIPT, kind], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
  return stdout.trim().split('\n').pop() ?? '';
}

/** True once the server answers a real RPC with a success status. */
export async function milvusAnswers(address: string): Promise<boolean> {
  const client = new MilvusClient({ address, timeout: 3000 });
  try {
    const r = await client.listDatabases();
    return r.status?.code === 0 && r.status.error_code === 'Success';
  } catch {
    return false;
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}

interface Launch {
  kind: MilvusKind;
  dataDir?: string;
  persistent?: boolean;
  command: (port: number, dataDir: string) => [string, string[]];
  readyTimeoutMs: number;
}

async function startServer(launch: Launch): Promise<MilvusServer> {
  const port = await freePort();
  const dataDir = launch.dataDir ?? (await mkdtemp(join(tmpdir(), `mlo-milvus-${launch.kind}-`)));
  await mkdir(dataDir, { recursive: true });
  const address = `127.0.0.1:${port}`;
  const begin = async (): Promise<ManagedProcess> => {
    const [cmd, args] = launch.command(port, dataDir);
    const p = spawnManaged(`milvus-${launch.kind}`, cmd, args, { logFile: join(dataDir, 'server.log'), persistent: launch.persistent ?? false });
    await waitUntilReady(p, `Milvus ${launch.kind} on ${address}`, () => milvusAnswers(address), launch.readyTimeoutMs, 250);
    return p;
  };
  let proc = await begin();
  let disposed = false;
  return {
    kind: launch.kind,
    uri: `http://${address}`,
    address,
    port,
    dataDir,
    pid: () => proc.pid,
    stop: () => proc.stop(),
    kill: () => proc.kill(),
    async restart() {
      await proc.stop();
      proc = await begin();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await proc.stop();
      if (!process.env.MLO_KEEP_TEST_DIRS) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startMilvusLite(opts: { dataDir?: string; persistent?: boolean } = {}): Promise<MilvusServer> {
  const dir = await venv('lite');
  const bin = join(dir, 'bin', 'milvus-lite');
  return startServer({
    ...opts,
    kind: 'lite',
    command: (port, dataDir) => [bin, ['server', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)]],
    readyTimeoutMs: 60_000,
  });
}

/** Why Milvus standalone cannot run here, or undefined when it can. Set MLO_MILVUS_STANDALONE=0 to skip it on purpose. */
export function standaloneUnavailableReason(): string | undefined {
  if (process.env.MLO_MILVUS_STANDALONE === '0') return 'MLO_MILVUS_STANDALONE=0 turns the Milvus standalone tier off';
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the PyPI milvus package ships a Linux x86_64 server only';
  return undefined;
}

const CACHE = process.env.MLO_CACHE_DIR ?? join(process.env.HOME ?? tmpdir(), '.cache', 'milvus-load-operator');
const STANDALONE_LOCK = join(CACHE, 'milvus-standalone.running');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Milvus standalone's embedded etcd listens on fixed ports (2380), so only
 * one can run on a machine at a time: test files take turns through this
 * lock (a directory, holding the owner's pid; a dead owner's lock is taken over).
 */
async function lockStandalone(timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  await mkdir(CACHE, { recursive: true });
  for (;;) {
    try {
      await mkdir(STANDALONE_LOCK);
      await writeFile(join(STANDALONE_LOCK, 'pid'), String(process.pid));
      const release = async (): Promise<void> => {
        await rm(STANDALONE_LOCK, { recursive: true, force: true });
      };
      process.once('exit', () => {
        try {
          // Synchronous on exit; best effort.
          rmSync(STANDALONE_LOCK, { recursive: true, force: true });
        } catch {
          /* the next user takes over a dead owner's lock anyway */
        }
      });
      return release;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(STANDALONE_LOCK, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !pidAlive(owner)) {
        await rm(STANDALONE_LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another Milvus standalone (pid ${owner}) still runs after ${timeoutMs} ms; only one can run at a time`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function startMilvusStandalone(): Promise<MilvusServer> {
  const reason = standaloneUnavailableReason();
  if (reason) throw new Error(reason);
  const dir = await venv('standalone');
  const bin = join(dir, 'bin', 'milvus-server');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: remove ${dir} and run again`);
  const unlock = await lockStandalone(15 * 60_000);
  let server: MilvusServer;
  try {
    server = await startServer({
      kind: 'standalone',
      // The launcher picks free ports for most internal services; we fix only the proxy's.
      command: (port, dataDir) => [bin, ['--data', dataDir, '--proxy-port', String(port)]],
      readyTimeoutMs: 240_000,
    });
  } catch (e: unknown) {
    await unlock();
    throw e;
  }
  return {
    ...server,
    pid: () => server.pid(),
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    async dispose() {
      await server.dispose();
      await unlock();
    },
  };
}
