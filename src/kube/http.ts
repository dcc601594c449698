// A small Kubernetes REST client on node:https, authenticated by a
// KubeConfig from @kubernetes/client-node (kubeconfig file or in-cluster).
// We need only a few verbs, but need them exactly: merge patches on the
// status subresource, JSON patches on finalizers, and watch streams whose
// failures we handle ourselves (DESIGN §2).
import { Agent, request, type RequestOptions } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type { KubeAuthSource } from './kubeconfig.ts';

/**
 * What a failed Kubernetes call means to the caller, so no caller reads
 * HTTP status codes (DESIGN §2). Unavailable covers transport failures,
 * timeouts, throttling and server errors: try again later.
 */
export type KubeErrorKind = 'NotFound' | 'Conflict' | 'Forbidden' | 'Unauthorized' | 'Gone' | 'Invalid' | 'Unavailable' | 'Other';

export function kubeErrorKind(status: number): KubeErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 403) return 'Forbidden';
  if (status === 401) return 'Unauthorized';
  if (status === 410) return 'Gone';
  if (status === 400 || status === 422) return 'Invalid';
  if (status === 0 || status === 429 || status >= 500) return 'Unavailable';
  return 'Other';
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly kind: KubeErrorKind;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.kind = kubeErrorKind(status);
  }
}

/** True when `e` is a Kubernetes API failure of this kind. */
export function isKubeError(e: unknown, kind: KubeErrorKind): e is KubeApiError {
  return e instanceof KubeApiError && e.kind === kind;
}

export interface KubeResponse<T> {
  status: number;
  body: T;
}

export class KubeHttp {
  private readonly kc: KubeAuthSource;
  private readonly server: URL;

  /** A KubeAuthSource (kubeconfig.ts), or client-node's KubeConfig, which has the same two methods. */
  constructor(kc: KubeAuthSource) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster; set KUBECONFIG or run in a cluster');
    this.server = new URL(cluster.server);
  }

  private async options(method: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<RequestOptions> {
    const opts: RequestOptions = {
      method,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      path: `${this.server.pathname.replace(/\/$/, '')}${path}`,
      headers: { Accept: 'application/json', ...headers },
      timeout: timeoutMs,
    };
    await this.kc.applyToHTTPSOptions(opts);
    // client-node's agent does not keep connections alive, so every call
    // would pay a TCP and TLS handshake. Our own auth sources (kubeconfig.ts)
    // hand out the same TLS material on every call, so one keep-alive pool
    // serves them; tokens travel in headers, refreshed on every call. Watches
    // (no timeout) hold their own sockets, outside the pool.
    if (this.server.protocol === 'https:' && this.kc.stableTls === true && timeoutMs !== 0) {
      const material = [opts.ca, opts.cert, opts.key];
      if (!this.agentMaterial || material.some((m, i) => m !== this.agentMaterial?.[i])) {
        // New TLS material: a new pool. The old one is not destroyed (requests
        // may still use it); its idle sockets close on their own.
        this.agentMaterial = material;
        this.agent = new Agent({ keepAlive: true, maxSockets: 32, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, ...(opts.servername ? { servername: opts.servername } : {}) });
      }
      opts.agent = this.agent;
    }
    return opts;
  }

  private agent: Agent | undefined;
  private agentMaterial: unknown[] | undefined;

  private send(opts: RequestOptions, body: string | undefined): Promise<IncomingMessage> {
    const make = this.server.protocol === 'https:' ? request : httpRequest;
    return new Promise((resolve, reject) => {
      const req = make(opts, resolve);
      // Transport failures are KubeApiErrors too (status 0), so callers tell
      // "the Kubernetes API failed" from a bug by class, not by message.
      req.on('error', (e: Error) => reject(e instanceof KubeApiError ? e : new KubeApiError(0, 'Unreachable', `cannot reach the Kubernetes API (${opts.method} ${opts.path}): ${e.message}`)));
      req.on('timeout', () => req.destroy(new KubeApiError(0, 'Timeout', `request to the Kubernetes API timed out: ${opts.method} ${opts.path}`)));
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) };
    const res = await this.send(await this.options(method, path, headers, timeoutMs), payload);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const s = parsed as { reason?: string; message?: string };
      throw new KubeApiError(status, s.reason ?? 'Unknown', s.message ?? `${method} ${path}: HTTP ${status}`);
    }
    return { status, body: parsed as T };
  }

  /**
   * Opens a watch and calls `onEvent` for each line. Resolves when the
   * stream ends (server timeout or close); rejects on a transport error.
   * `abort()` on the returned handle ends it.
   */
  async watch(path: string, onEvent: (event: { type: string; object: unknown }) => void): Promise<{ done: Promise<void>; abort: () => void }> {
    const res = await this.send(await this.options('GET', path, {}, 0), undefined);
    if ((res.statusCode ?? 0) !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const s = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { reason?: string; message?: string };
      throw new KubeApiError(res.statusCode ?? 0, s.reason ?? 'Unknown', s.message ?? `watch ${path}: HTTP ${res.statusCode}`);
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    // readline ends its iteration only on the stream's 'end' or an error. A
    // stream destroyed by abort() (the informer's stall watchdog, stop()) or
    // closed without either would leave `done` pending forever, and the
    // informer waiting on it with no watch at all. Found by
    // test/reliability/kube-faults.test.ts (watch stall).
    res.once('close', () => lines.close());
    const done = (async (): Promise<void> => {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        onEvent(JSON.parse(line) as { type: string; object: unknown });
      }
    })();
    return { done, abort: () => res.destroy() };
  }
}
