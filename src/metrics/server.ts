// The HTTP endpoints every replica serves, leader or not: /healthz
// (liveness: the event loop answers), /readyz (readiness: a check the
// caller supplies) and /metrics (Prometheus text). Health and metrics may
// share one address or use two, as controller-runtime's flags allow.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why not ready, for a person reading `curl /readyz`. */
  reason: string;
}

export interface EndpointOptions {
  /** `host:port`, `:port`, or `0` to disable. */
  readonly healthAddress: string;
  readonly metricsAddress: string;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
}

export interface Endpoints {
  /** Bound addresses (`host:port`), once listening; useful with port 0. */
  readonly health?: string;
  readonly metrics?: string;
  close(): Promise<void>;
}

/** Parses `:8080`, `127.0.0.1:8080`, `[::1]:8080`; undefined for `0` (disabled). */
export function parseBindAddress(addr: string): { host: string | undefined; port: number } | undefined {
  if (addr === '0' || addr === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`bind address ${addr}: use host:port or :port (or 0 to turn it off)`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

interface Reply {
  status: number;
  type: string;
  body: string;
}
type Route = (path: string) => Reply | Promise<Reply> | undefined;

function listen(addr: { host: string | undefined; port: number }, route: Route): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const r = req.method === 'GET' || req.method === 'HEAD' ? route(path) : { status: 405, type: 'text/plain', body: 'method not allowed\n' };
    void Promise.resolve(r ?? { status: 404, type: 'text/plain', body: 'not found: try /healthz, /readyz or /metrics\n' }).then((out) => {
      res.writeHead(out.status, { 'Content-Type': out.type, 'Content-Length': Buffer.byteLength(out.body) });
      res.end(req.method === 'HEAD' ? undefined : out.body);
    });
  });
  // Scrapes are short; idle keep-alive sockets must not hold up shutdown.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * The registry in the text format, as /metrics serves it. prom-client writes
 * NaN as `Nan` (its event-loop lag mean and stddev are NaN when no loop turn
 * was sampled since the last scrape); Prometheus reads that, but the format
 * spells it `NaN`, so stricter parsers get the canonical spelling.
 */
export async function exposition(registry: Registry): Promise<string> {
  return (await registry.metrics()).replace(/^([^#].*) Nan$/gm, '$1 NaN');
}

async function scrape(registry: Registry): Promise<Reply> {
  try {
    return { status: 200, type: registry.contentType, body: await exposition(registry) };
  } catch (e: unknown) {
    return { status: 500, type: 'text/plain', body: `cannot collect the metrics: ${(e as Error).message}; the operator itself keeps working (see /healthz); please report this message\n` };
  }
}

function bound(s: Server): string {
  const a = s.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export async function serveEndpoints(o: EndpointOptions): Promise<Endpoints> {
  const health: Route = (path) => {
    if (path === '/healthz' || path === '/livez') return { status: 200, type: 'text/plain', body: 'ok\n' };
    if (path === '/readyz') {
      const r = o.readiness();
      return { status: r.ready ? 200 : 503, type: 'text/plain', body: r.ready ? 'ok\n' : `not ready: ${r.reason}\n` };
    }
    return undefined;
  };
  const metrics: Route = (path) => (path === '/metrics' ? scrape(o.registry) : undefined);
  const h = parseBindAddress(o.healthAddress);
  const m = parseBindAddress(o.metricsAddress);
  const servers: Server[] = [];
  let healthAt: string | undefined;
  let metricsAt: string | undefined;
  try {
    if (h && m && h.port === m.port && h.port !== 0 && h.host === m.host) {
      const s = await listen(h, (p) => health(p) ?? metrics(p));
      servers.push(s);
      healthAt = metricsAt = bound(s);
    } else {
      if (h) {
        const s = await listen(h, health);
        servers.push(s);
        healthAt = bound(s);
      }
      if (m) {
        const s = await listen(m, metrics);
        servers.push(s);
        metricsAt = bound(s);
      }
    }
  } catch (e: unknown) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw new Error(`cannot listen for health or metrics: ${(e as Error).message}; choose another --health-probe-bind-address / --metrics-bind-address`);
  }
  return {
    ...(healthAt ? { health: healthAt } : {}),
    ...(metricsAt ? { metrics: metricsAt } : {}),
    close: async () => {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
