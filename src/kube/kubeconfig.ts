// Where the operator's Kubernetes credentials come from, without loading
// @kubernetes/client-node when it is not needed: importing it costs about
// 85 MiB of resident memory (docs/performance.md), most of it generated API
// models we never use. The two cases a deployed operator meets are handled
// here: in-cluster (service account token, rotated by the kubelet, re-read
// every minute) and a kubeconfig whose user has a client certificate or a
// token. Everything else (exec plugins, auth providers, several merged
// files, proxies) goes to client-node's KubeConfig, loaded on demand.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What KubeHttp needs; client-node's KubeConfig has the same two methods. */
export interface KubeAuthSource {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
  /** The same ca/cert/key objects on every call, so connections may be pooled. */
  readonly stableTls?: boolean;
}

export interface LoadedAuth {
  readonly auth: KubeAuthSource;
  /** For the start-up log line: which file or mode, and which loader. */
  readonly source: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, name: unknown, key: string): Obj | undefined {
  if (!Array.isArray(list)) return undefined;
  const hit = (list as unknown[]).find((e) => isObj(e) && e.name === name) as Obj | undefined;
  const inner = hit?.[key];
  return isObj(inner) ? inner : undefined;
}

/** A token read from a file, re-read at most once a minute (bound tokens rotate). */
function fileToken(path: string, now: () => number): () => string {
  let cached = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt >= TOKEN_REREAD_MS) {
      cached = readFileSync(path, 'utf8').trim();
      readAt = now();
    }
    return cached;
  };
}

function source(server: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean; serverName?: string }, token?: () => string): KubeAuthSource {
  return {
    stableTls: true,
    getCurrentCluster: () => ({ server }),
    applyToHTTPSOptions: (opts) => {
      if (tls.ca) opts.ca = tls.ca;
      if (tls.cert) opts.cert = tls.cert;
      if (tls.key) opts.key = tls.key;
      if (tls.insecure) opts.rejectUnauthorized = false;
      if (tls.serverName) opts.servername = tls.serverName;
      const t = token?.();
      if (t) opts.headers = { ...(opts.headers as Record<string, string> | undefined), Authorization: `Bearer ${t}` };
      return Promise.resolve();
    },
  };
}

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);
const USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'extensions']);

/**
 * A kubeconfig file with a certificate or token user, or undefined when it
 * uses something only client-node implements.
 */
export function simpleKubeconfig(file: string, now: () => number = Date.now): KubeAuthSource | undefined {
  const doc = parse(readFileSync(file, 'utf8')) as unknown;
  if (!isObj(doc)) throw new Error(`${file} is not a kubeconfig (no YAML mapping)`);
  const context = named(doc.contexts, doc['current-context'], 'context');
  if (!context) throw new Error(`${file} has no current context; set current-context (kubectl config use-context NAME)`);
  const cluster = named(doc.clusters, context.cluster, 'cluster');
  const user = named(doc.users, context.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`${file}: the current context's cluster has no server`);
  if (Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k)) || Object.keys(user).some((k) => !USER_KEYS.has(k))) return undefined;
  const base = dirname(file);
  const pathOf = (p: unknown): string => (isAbsolute(String(p)) ? String(p) : join(base, String(p)));
  const material = (data: unknown, path: unknown): Buffer | undefined =>
    typeof data === 'string' ? Buffer.from(data, 'base64') : typeof path === 'string' ? readFileSync(pathOf(path)) : undefined;
  const tls = {
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    ...(typeof cluster['tls-server-name'] === 'string' ? { serverName: cluster['tls-server-name'] } : {}),
  };
  const token = typeof user.token === 'string' ? () => user.token as string : typeof user.tokenFile === 'string' ? fileToken(pathOf(user.tokenFile), now) : undefined;
  return source(cluster.server, tls, token);
}

/** The pod's service account, as client-go's rest.InClusterConfig reads it. */
export function inCluster(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR, now: () => number = Date.now): KubeAuthSource | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, 'token'))) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return source(server, { ca: readFileSync(join(dir, 'ca.crt')) }, fileToken(join(dir, 'token'), now));
}

async function viaClientNode(file: string | undefined): Promise<KubeAuthSource> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/**
 * client-go's order: --kubeconfig, then $KUBECONFIG, then ~/.kube/config,
 * then in-cluster.
 */
export async function loadKubeAuth(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, saDir = SERVICE_ACCOUNT_DIR): Promise<LoadedAuth> {
  const fromEnv = env.KUBECONFIG;
  if (!explicit && fromEnv && fromEnv.includes(':')) return { auth: await viaClientNode(undefined), source: `KUBECONFIG (several files, merged by client-node)` };
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  const file = explicit ?? fromEnv ?? (existsSync(home) ? home : undefined);
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    const simple = simpleKubeconfig(file);
    return simple ? { auth: simple, source: file } : { auth: await viaClientNode(file), source: `${file} (via client-node)` };
  }
  const pod = inCluster(env, saDir);
  if (pod) return { auth: pod, source: 'in-cluster service account' };
  throw new Error('no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, create ~/.kube/config, or run in a cluster');
}
