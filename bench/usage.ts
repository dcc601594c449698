// The cost of usage-aware memory (issue 18): every policy of the main layout
// with spec.idle (nothing becomes idle during the run), a budget reading the
// simulator's proxy /metrics, and searches on every selected collection
// throughout. Measured in steady state: Milvus RPCs, scrapes of the /metrics
// endpoints, status writes (lastUsedTime is coarse on purpose) and RSS.
import { createServer, type Server } from 'node:http';
import { API_VERSION, BUDGET_KIND } from '../src/api/constants.ts';
import { budgetsPath } from '../src/kube/resources.ts';
import type { ProxyMetrics } from '../test/simulator/index.ts';
import type { IdlePlan } from './layout.ts';
import { coldStart, quiet, steadyState, type ColdResult, type SteadyResult } from './scenarios.ts';
import type { BenchSession } from './session.ts';

/** Long enough that nothing is released during a run; overrideLoaded so that idleness would act on Loaded policies. */
export const USAGE_IDLE: IdlePlan = { releaseAfter: '1h', overrideLoaded: true };
export const USAGE_PERIOD_SECONDS = 10;
export const USAGE_PROXIES = 2;
export const USAGE_BUDGET = 'bench-usage';

/**
 * The simulator's proxy endpoints behind servers of the bench's own that
 * note the time of every GET (the simulator does not count scrapes).
 */
export class CountedProxyEndpoints {
  readonly gets: { at: number; proxy: number }[] = [];
  private readonly servers: Server[] = [];
  urls: string[] = [];

  static async start(metrics: ProxyMetrics, proxies: number): Promise<CountedProxyEndpoints> {
    metrics.setProxies(proxies);
    const e = new CountedProxyEndpoints();
    for (let i = 0; i < proxies; i++) {
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        e.gets.push({ at: Date.now(), proxy: i });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.exposition(i));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      e.urls.push(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`);
      e.servers.push(server);
    }
    return e;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export interface ScrapeFigures {
  /** GETs per endpoint in the window, in endpoint order. */
  perEndpoint: number[];
  total: number;
  perResync: number;
  /** Per endpoint per usage period: 1 when the operator reads once a period, whatever its passes. */
  perEndpointPerPeriod: number;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Scrapes in [from, to) (epoch ms), per endpoint and per period. */
export function scrapeFigures(gets: readonly { at: number; proxy: number }[], endpoints: number, window: { from: number; to: number }, o: { resyncMs: number; periodMs: number }): ScrapeFigures {
  const { from, to } = window;
  const { resyncMs, periodMs } = o;
  const perEndpoint = Array.from({ length: endpoints }, () => 0);
  for (const g of gets) if (g.at >= from && g.at < to) perEndpoint[g.proxy] = (perEndpoint[g.proxy] ?? 0) + 1;
  const total = perEndpoint.reduce((a, b) => a + b, 0);
  const span = Math.max(1, to - from);
  return { perEndpoint, total, perResync: round((total * resyncMs) / span), perEndpointPerPeriod: round((total * periodMs) / span / Math.max(1, endpoints)) };
}

export function usageBudgetManifest(milvusUri: string, endpoints: readonly string[], periodSeconds: number): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: BUDGET_KIND,
    metadata: { name: USAGE_BUDGET },
    // Far above the layout's estimate: the budget is here for its usage source, not to defer anything.
    spec: { milvusUri, memoryLimit: '1Pi', usage: { milvusMetrics: { endpoints }, period: `${periodSeconds}s` } },
  };
}

export async function createUsageBudget(s: BenchSession, endpoints: readonly string[]): Promise<void> {
  await s.http.call('POST', budgetsPath, usageBudgetManifest(s.sim.uri, endpoints, USAGE_PERIOD_SECONDS));
}

/**
 * Searches on every selected collection, as the proxies would count them,
 * every `everyMs` (recorded straight into the proxy counters: no RPC, so the
 * simulator's RPC counts stay the operator's alone). Returns a stop function.
 */
export function startTraffic(s: BenchSession, everyMs: number): () => void {
  const targets = s.layout.policies.flatMap((p) => p.collections.map((c) => [p.database, c] as const));
  const tick = (): void => {
    for (const [db, c] of targets) s.sim.proxyMetrics.record('Search', db, c, 'success');
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => clearInterval(timer);
}

export interface UsageResult {
  policies: number;
  collections: number;
  databases: number;
  resyncSeconds: number;
  usagePeriodSeconds: number;
  proxies: number;
  idle: IdlePlan;
  /** Searches recorded on every selected collection this often (ms), all run long. */
  trafficEveryMs: number;
  cold: ColdResult;
  steady: SteadyResult;
  scrapes: ScrapeFigures;
  /** Bytes one proxy's /metrics served at the end of the window. */
  expositionBytes: number;
  /** Policy status changes other than lastSyncTime in the window (lastUsedTime moving would count here). */
  statusChangesInWindow: number;
  budgetStatusWrites: number;
  /** Over every selected collection, after the window: how many statuses show lastUsedTime, and why the others say usage is unknown. */
  collectionsWithLastUsed: number;
  usageUnknown: Record<string, number>;
}

interface CollectionStatusLike {
  lastUsedTime?: string;
  usageUnknownReason?: string;
}

/** lastUsedTime shown, and usage-unknown reasons, over every policy's status as the bench's watch last saw it. */
export function usageShown(statuses: readonly unknown[]): { withLastUsed: number; unknown: Record<string, number> } {
  let withLastUsed = 0;
  const unknown: Record<string, number> = {};
  for (const st of statuses) {
    const cols = (st as { collections?: CollectionStatusLike[] } | undefined)?.collections ?? [];
    for (const c of cols) {
      if (c.lastUsedTime !== undefined) withLastUsed++;
      if (c.usageUnknownReason !== undefined) unknown[c.usageUnknownReason] = (unknown[c.usageUnknownReason] ?? 0) + 1;
    }
  }
  return { withLastUsed, unknown };
}

/**
 * Cold start with the budget and traffic in place, then a quiet wait of two
 * usage periods (the first lastUsedTime lands one reading after the first),
 * then steady state over `windowSeconds` (at least `minResyncs` resyncs).
 */
export async function usageCost(s: BenchSession, endpoints: CountedProxyEndpoints, o: { minResyncs: number; windowSeconds: number; timeoutMs: number }): Promise<UsageResult> {
  const R = s.opts.resyncSeconds * 1000;
  const P = USAGE_PERIOD_SECONDS * 1000;
  const trafficEveryMs = 2000;
  const stopTraffic = startTraffic(s, trafficEveryMs);
  try {
    await createUsageBudget(s, endpoints.urls);
    const cold = await coldStart(s, o.timeoutMs);
    await quiet(s, 2 * P + R, 10 * 60_000);
    const changesBefore = s.tracker.statusChanges;
    const steady = await steadyState(s, Math.max(o.minResyncs, Math.ceil((o.windowSeconds * 1000) / R)));
    const statusChangesInWindow = s.tracker.statusChanges - changesBefore;
    const scrapes = scrapeFigures(endpoints.gets, endpoints.urls.length, { from: steady.windowStartAt, to: steady.windowEndAt }, { resyncMs: R, periodMs: P });
    const shown = usageShown(s.layout.policies.map((p) => s.tracker.statusOf(p.name)));
    return {
      policies: s.layout.policies.length,
      collections: s.layout.collections,
      databases: s.layout.databases.length,
      resyncSeconds: s.opts.resyncSeconds,
      usagePeriodSeconds: USAGE_PERIOD_SECONDS,
      proxies: endpoints.urls.length,
      idle: USAGE_IDLE,
      trafficEveryMs,
      cold,
      steady,
      scrapes,
      expositionBytes: Buffer.byteLength(s.sim.proxyMetrics.exposition(0)),
      statusChangesInWindow,
      budgetStatusWrites: steady.apiserverWrites['PATCH collectionloadbudgets/status'] ?? 0,
      collectionsWithLastUsed: shown.withLastUsed,
      usageUnknown: shown.unknown,
    };
  } finally {
    stopTraffic();
  }
}
