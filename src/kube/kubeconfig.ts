// The one place the operator's Kubernetes credentials and current context
// come from, for `run` and `plan` alike (ADR 0009). The two cases a deployed
// operator meets are read here, without @kubernetes/client-node, whose import
// alone costs more resident memory than DESIGN §4 leaves (ADR 0009 has the
// figures): in-cluster (service account token, rotated by the kubelet, re-read
// every minute) and a kubeconfig whose user has a client certificate or a
// token. Everything else (exec plugins, auth providers such as OIDC, several
// merged files, proxies) goes to client-node's KubeConfig, imported on demand.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What KubeHttp needs; client-node's KubeConfig has the same two methods. */
export interface KubeAuthSource {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
  /** The same ca/cert/key objects on every call, so connections may be pooled. */
  readonly stableTls?: boolean;
}

/** What the current context gives: where and how to authenticate, and which namespace it names. */
export interface CurrentContext {
  readonly auth: KubeAuthSource;
  /** The context's namespace (in a pod: the service account's); undefined when it names none. */
  readonly namespace?: string | undefined;
}

export interface LoadedAuth extends CurrentContext {
  /** For the start-up log line: which file or mode, and which loader. */
  readonly source: string;
}

/** No --kubeconfig, no KUBECONFIG, no ~/.kube/config and not in a pod: there is no cluster to talk to. */
export class NoKubeconfigError extends Error {}

/** A kubeconfig named by --kubeconfig or KUBECONFIG is not there. */
export class KubeconfigMissingError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`kubeconfig ${path} does not exist`);
    this.path = path;
  }
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

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
export function simpleKubeconfig(file: string, now: () => number = Date.now): CurrentContext | undefined {
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
  return { auth: source(cluster.server, tls, token), namespace: nonEmpty(context.namespace) };
}

/** The pod's service account, as client-go's rest.InClusterConfig reads it. */
export function inCluster(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR, now: () => number = Date.now): CurrentContext | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, 'token'))) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const namespaceFile = join(dir, 'namespace');
  return {
    auth: source(server, { ca: readFileSync(join(dir, 'ca.crt')) }, fileToken(join(dir, 'token'), now)),
    namespace: existsSync(namespaceFile) ? nonEmpty(readFileSync(namespaceFile, 'utf8')) : undefined,
  };
}

/**
 * client-node reads these files; several are merged as kubectl merges them
 * (the first file that sets current-context wins; client-node's own
 * loadFromDefault lets the last one win, and reads process.env, not `env`).
 */
async function viaClientNode(files: readonly [string, ...string[]]): Promise<CurrentContext> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const [first, ...rest] = files;
  kc.loadFromFile(first);
  for (const file of rest) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more, Boolean(kc.currentContext));
  }
  return { auth: kc, namespace: nonEmpty(kc.getContextObject(kc.getCurrentContext())?.namespace) };
}

/** $KUBECONFIG (a list, as kubectl reads it), else ~/.kube/config when it exists. */
function defaultFiles(env: NodeJS.ProcessEnv): string[] {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) return listed;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/**
 * client-go's order: --kubeconfig, then $KUBECONFIG, then ~/.kube/config,
 * then in-cluster. Fails with NoKubeconfigError when there is none of them,
 * and KubeconfigMissingError when a named file is not there.
 */
export async function loadKubeAuth(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, saDir = SERVICE_ACCOUNT_DIR): Promise<LoadedAuth> {
  const files = explicit !== undefined ? [explicit] : defaultFiles(env);
  const [first, ...rest] = files;
  if (first === undefined) {
    const pod = inCluster(env, saDir);
    if (pod) return { ...pod, source: 'in-cluster service account' };
    throw new NoKubeconfigError('no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, create ~/.kube/config, or run in a cluster');
  }
  const missing = files.find((f) => !existsSync(f));
  if (missing !== undefined) throw new KubeconfigMissingError(missing);
  if (rest.length > 0) return { ...(await viaClientNode([first, ...rest])), source: `KUBECONFIG (${files.length} files, merged by client-node)` };
  const simple = simpleKubeconfig(first);
  return simple ? { ...simple, source: first } : { ...(await viaClientNode([first])), source: `${first} (via client-node)` };
}
