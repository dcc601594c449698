// `milvus-load-operator run` as a process: --dry-run writes nothing, and a
// leader that loses its Lease exits 1 at once. The Kubernetes side is a small
// in-memory stand-in for the few apiserver paths the operator uses (lists,
// watches held open, status PATCH, the Lease); the real apiserver runs in
// test/integration/leader-election.test.ts. Milvus is unreachable here: the
// operator must still reconcile (and report that) without crashing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { policy } from '../planner/testkit.ts';
import { until } from '../../test/env/wait.ts';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/ops/leases/mlo';

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

class StandInApiServer {
  readonly writes: string[] = [];
  lease: Lease | undefined;
  private rv = 10;
  private readonly open: ServerResponse[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const r of this.open) r.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Another replica takes the Lease. */
  takeLease(): void {
    this.lease = { metadata: { name: 'mlo', namespace: 'ops', resourceVersion: String(++this.rv) }, spec: { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: new Date().toISOString() } };
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '';
    const json = (status: number, b: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(b));
    };
    if (req.method !== 'GET') this.writes.push(`${req.method} ${url}`);
    if (url.includes('watch=1')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      this.open.push(res);
      return;
    }
    if (req.method === 'GET' && url.split('?')[0]?.endsWith('/collectionloadpolicies')) return json(200, { metadata: { resourceVersion: '5' }, items: [{ ...policy({ name: 'p', spec: { milvus: { uri: 'http://127.0.0.1:1' } } }), metadata: { name: 'p', namespace: 'team', uid: 'u1', generation: 1, resourceVersion: '5' } }] });
    if (req.method === 'GET' && url.split('?')[0]?.endsWith('/collectionloadbudgets')) return json(200, { metadata: { resourceVersion: '5' }, items: [] });
    if (url.startsWith(LEASE_PATH) || url === LEASE_PATH.slice(0, LEASE_PATH.lastIndexOf('/'))) return this.leaseCall(req.method ?? '', body, json);
    if (req.method === 'PATCH' || req.method === 'POST') return json(200, {});
    json(404, { kind: 'Status', reason: 'NotFound', message: `${req.method} ${url} not found` });
  }

  private leaseCall(method: string, body: string, json: (status: number, b: unknown) => void): void {
    if (method === 'GET') return this.lease ? json(200, this.lease) : json(404, { reason: 'NotFound', message: 'leases "mlo" not found' });
    const next = JSON.parse(body) as Lease;
    if (method === 'POST' && this.lease) return json(409, { reason: 'AlreadyExists', message: 'exists' });
    if (method === 'PUT' && next.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) return json(409, { reason: 'Conflict', message: 'the object has been modified' });
    this.lease = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.rv) } };
    json(200, this.lease);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mlo-run-'));
const api = new StandInApiServer();
let kubeconfig = '';

before(async () => {
  await api.start();
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: { server: '${api.url}' } }]\nusers: [{ name: u, user: { token: t0ken } }]\n`,
  );
});

after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  readonly proc: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const proc = spawn(process.execPath, [MAIN, 'run', '--kubeconfig', kubeconfig, '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--log-level', 'debug', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, stderr: () => err, exited };
}

/** Waits for `cond`; a process that exits meanwhile fails the wait with its output. */
async function waitFor(r: Running, what: string, cond: () => boolean): Promise<void> {
  await until(
    what,
    async () => {
      if (r.proc.exitCode !== null) throw new Error(`the process exited with ${r.proc.exitCode}: ${r.stderr().slice(-2000)}`);
      return cond();
    },
    60_000,
    50,
  );
}

async function stopped(r: Running): Promise<number | null> {
  if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
  return r.exited;
}

describe('run (process)', () => {
  it('--dry-run reconciles and writes nothing; without it the same pass writes the status', async () => {
    const dry = run(['--dry-run']);
    try {
      await waitFor(dry, 'a dry-run reconcile', () => dry.stderr().includes('"msg":"reconciled"'));
      assert.match(dry.stderr(), /"dryRun":true/);
      assert.deepEqual(api.writes, []);
    } finally {
      assert.equal(await stopped(dry), 0);
    }
    const live = run([]);
    try {
      await waitFor(live, 'a status write', () => api.writes.some((w) => w.startsWith('PATCH') && w.endsWith('/p/status')));
    } finally {
      assert.equal(await stopped(live), 0, 'SIGTERM is a clean exit');
    }
  });

  it('exits 1 at once when another replica takes the Lease', async () => {
    const leader = run(['--leader-elect', '--leader-election-namespace', 'ops', '--leader-election-id', 'mlo', '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '1s']);
    try {
      await waitFor(leader, 'leading', () => leader.stderr().includes('became the leader'));
      assert.notEqual(api.lease?.spec.holderIdentity, 'other');
      api.takeLease();
      assert.equal(await leader.exited, 1);
      assert.match(leader.stderr(), /exiting: lost leadership/);
      assert.match(leader.stderr(), /the Lease was taken by another replica/);
    } finally {
      await stopped(leader);
    }
  });
});
