// Shared pieces of the reliability suite: the operator as a separate process
// (with its full log kept on disk, so reconciles can be counted), policy
// manifests, status reads through kubectl, a direct HTTPS client for bursts
// of writes, the open file descriptors of a process, and a TCP proxy in front
// of the apiserver that can freeze or cut the operator's connections.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { KubeEnv } from '../env/kube.ts';
import { spawnOperator } from '../env/operator.ts';
import type { ManagedProcess } from '../env/process.ts';
import { until } from '../env/wait.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface OperatorOptions {
  /** Default: the admin kubeconfig. */
  readonly kubeconfig?: string;
  readonly resync?: string;
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly extraArgs?: readonly string[];
}

export interface OperatorProcess {
  readonly proc: ManagedProcess;
  readonly pid: number;
  readonly logFile: string;
  /** http://127.0.0.1:PORT/metrics. */
  readonly metricsUrl: string;
  /** Every JSON log line so far (the whole file, not a tail). */
  logLines(): Promise<LogLine[]>;
  /** The last lines of output, for assertion messages. */
  tail(n?: number): string;
}

export interface LogLine {
  readonly ts?: string;
  readonly level?: string;
  readonly msg?: string;
  readonly [k: string]: unknown;
}

/** The operator, as a user runs it: `node src/main.ts run`, debug logs, a short resync. */
export async function startOperator(kube: KubeEnv, o: OperatorOptions = {}): Promise<OperatorProcess> {
  const name = o.name ?? 'operator';
  const logFile = `${kube.dir}/${name}.log`;
  const { proc, metricsUrl } = await spawnOperator({
    kubeconfig: o.kubeconfig ?? kube.kubeconfigPath,
    logFile,
    name,
    resync: o.resync ?? '2s',
    logLevel: 'debug',
    args: o.extraArgs ?? [],
    env: { ...process.env, ...o.env },
  });
  return {
    proc,
    pid: proc.pid,
    logFile,
    metricsUrl,
    tail: (n = 40) => proc.tail(n),
    async logLines() {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      const out: LogLine[] = [];
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line) as LogLine);
        } catch {
          // A line being written while we read: the next read has it whole.
        }
      }
      return out;
    },
  };
}

/** GET a URL over plain HTTP; undefined when nothing answers. */
export function httpGet(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export async function installCrds(kube: KubeEnv, namespaces: readonly string[]): Promise<void> {
  const r = await kube.kubectl(['apply', '-f', `${root}crds/`]);
  assert.equal(r.code, 0, r.stderr);
  // Right after the apply a CRD may have no status yet, and `kubectl wait` then fails at once instead of waiting.
  let last = '';
  await until(
    'the CRDs Established',
    async () => {
      const w = await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=30s']);
      last = w.stderr;
      return w.code === 0;
    },
    60_000,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${last}`);
  });
  for (const ns of namespaces) {
    const c = await kube.kubectl(['create', 'namespace', ns]);
    assert.equal(c.code, 0, c.stderr);
  }
}

/** A CollectionLoadPolicy manifest; `spec` is YAML indented by two spaces (without the milvus block). */
export function policy(ns: string, name: string, uri: string, spec: string, milvusExtra = ''): string {
  return `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: ${name}, namespace: ${ns} }
spec:
  milvus: { uri: "${uri}"${milvusExtra} }
${spec.replace(/\n?$/, '\n')}---
`;
}

export async function apply(kube: KubeEnv, yaml: string): Promise<void> {
  const r = await kube.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, `kubectl apply failed: ${r.stderr}`);
}

export interface Cond {
  status: string;
  reason: string;
  message: string;
}

export interface PolicyView {
  generation: number;
  observedGeneration: number | undefined;
  conditions: Map<string, Cond>;
  collections: { name: string; state: string; reason?: string; message?: string }[];
  summary: Record<string, number> | undefined;
  collectionsOmitted: number | undefined;
  /** Bytes of the whole object as JSON. */
  size: number;
  raw: Record<string, unknown>;
}

/** One policy as kubectl shows it. Throws when kubectl fails (until() treats that as "not yet"). */
export async function getPolicy(kube: KubeEnv, ns: string, name: string): Promise<PolicyView> {
  const r = await kube.kubectl(['get', 'clp', name, '-n', ns, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl get clp ${ns}/${name}: ${r.stderr.trim()}`);
  const o = JSON.parse(r.stdout) as {
    metadata: { generation: number };
    status?: { observedGeneration?: number; conditions?: ({ type: string } & Cond)[]; collections?: PolicyView['collections']; summary?: Record<string, number>; collectionsOmitted?: number };
  };
  return {
    generation: o.metadata.generation,
    observedGeneration: o.status?.observedGeneration,
    conditions: new Map((o.status?.conditions ?? []).map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }])),
    collections: o.status?.collections ?? [],
    summary: o.status?.summary,
    collectionsOmitted: o.status?.collectionsOmitted,
    size: Buffer.byteLength(r.stdout.trim()),
    raw: o as unknown as Record<string, unknown>,
  };
}

export function describePolicy(p: PolicyView | undefined): string {
  if (!p) return '(not read)';
  return JSON.stringify({ generation: p.generation, observedGeneration: p.observedGeneration, conditions: Object.fromEntries(p.conditions), collections: p.collections.slice(0, 5), summary: p.summary });
}

/** Waits until the policy satisfies `ok`; on timeout the error shows the last status and the operator's log tail. */
export async function untilPolicy(kube: KubeEnv, where: { ns: string; name: string; op?: OperatorProcess }, what: string, ok: (p: PolicyView) => boolean, timeoutMs: number): Promise<PolicyView> {
  const { ns, name, op } = where;
  let last: PolicyView | undefined;
  try {
    await until(
      `${ns}/${name}: ${what}`,
      async () => {
        last = await getPolicy(kube, ns, name);
        return ok(last);
      },
      timeoutMs,
      300,
    );
  } catch (e: unknown) {
    throw new Error(`${(e as Error).message}\nlast status: ${describePolicy(last)}${op ? `\noperator log:\n${op.tail(25)}` : ''}`, { cause: e });
  }
  assert.ok(last);
  return last;
}

export const isReady = (p: PolicyView): boolean => p.conditions.get('Ready')?.status === 'True' && p.observedGeneration === p.generation;

/** Open file descriptors of a live process (sockets, pipes, files). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** TCP connections of a process to a local port, from /proc (socket inodes matched against /proc/net/tcp). */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  let n = 0;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (field 9)
      if (f.length > 9 && f[2]?.endsWith(`:${hexPort}`) && inodes.has(f[9] ?? '')) n++;
    }
  }
  return n;
}

/** A client for many quick writes: the admin's certificate, keep-alive, no kubectl process per request. */
export async function kubeClient(kube: KubeEnv): Promise<(method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: string }>> {
  const [ca, cert, key] = await Promise.all([readFile(kube.caCertPath), readFile(kube.adminCertPath), readFile(kube.adminKeyPath)]);
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ca, cert, key });
  const server = new URL(kube.server);
  return (method, path, body, contentType = 'application/merge-patch+json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { hostname: server.hostname, port: server.port, path, method, agent, headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (b: Buffer) => (text += b.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** A kubeconfig like the admin's, pointing at another server address (a proxy). */
export async function kubeconfigVia(kube: KubeEnv, server: string, file: string): Promise<string> {
  const text = await readFile(kube.kubeconfigPath, 'utf8');
  const out = text.replace(`server: ${kube.server}`, `server: ${server}`);
  assert.notEqual(out, text, 'the admin kubeconfig names no server to replace');
  await writeFile(file, out);
  return file;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

/**
 * A TCP proxy in front of the apiserver. TLS passes through untouched (the
 * serving certificate names 127.0.0.1, which is where the proxy listens).
 * - `freeze()`: connections open now stop delivering the server's bytes and
 *   never close: a watch that hangs without an error. New connections work.
 * - `cut()`: drops every connection and refuses new ones until `restore()`.
 */
export class FreezingProxy {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private refusing = false;
  port = 0;
  /** Connections accepted since start. */
  accepted = 0;
  /** Connections refused while cut: each is an attempt of the operator to reach the apiserver. */
  refused = 0;

  private readonly target: { host: string; port: number };

  private constructor(target: { host: string; port: number }) {
    this.target = target;
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<FreezingProxy> {
    const u = new URL(targetUrl);
    const p = new FreezingProxy({ host: u.hostname, port: Number(u.port) });
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = p.server.address();
    p.port = typeof addr === 'object' && addr ? addr.port : 0;
    return p;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      this.refused++;
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.target);
    const pair: Pair = { client, upstream, frozen: false };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (b: Buffer) => {
      if (!pair.frozen) upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (!pair.frozen) client.write(b);
    });
    // A frozen connection hangs: the server's close is not passed on either.
    upstream.on('close', () => {
      if (!pair.frozen) drop();
    });
    client.on('close', drop);
    client.on('error', drop);
    upstream.on('error', () => {
      if (!pair.frozen) drop();
    });
  }

  /** Connections open now that are not frozen. */
  openConnections(): number {
    let n = 0;
    for (const p of this.pairs) if (!p.frozen) n++;
    return n;
  }

  /** Freezes every open connection; returns how many. */
  freeze(): number {
    for (const p of this.pairs) p.frozen = true;
    return this.pairs.size;
  }

  cut(): void {
    this.refusing = true;
    for (const p of [...this.pairs]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
