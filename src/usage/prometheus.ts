// Usage from a Prometheus server that scrapes the Milvus proxies: one PromQL
// instant query over its HTTP API. A collection is used when the query gives
// it a value above zero. Prometheus down, an error, or no series with a
// collection label: the reading says so, and nothing is released for idleness.
import { addCollection, emptyCollectionSet } from './collection-set.ts';
import { boundedGet, describeUrl } from './bounded-get.ts';
import type { UsageReader, UsageReading } from './types.ts';

const SIGNAL_SERIES = '__name__=~"milvus_proxy_req_count|milvus_proxy_receive_bytes_count", collection_name!=""';

const SIGNALS = `{${SIGNAL_SERIES}, function_name=~"|Search|HybridSearch|Query", msg_type=~"|search|hybrid_search|query"}`;
const BY = 'sum by (db_name, collection_name)';

/**
 * Collections with requests within the period, failed ones included, from
 * milvus_proxy_req_count's Search/HybridSearch/Query (labelled per collection
 * on recent Milvus) and milvus_proxy_receive_bytes_count's
 * search/hybrid_search/query (labelled per collection on 2.3.x, where
 * req_count is not); each series has only one of function_name and msg_type,
 * hence the empty alternatives. Two parts:
 * - counters that grew within the period (`increase`, which handles proxy
 *   restarts), keeping only those above zero;
 * - series that appeared within the period: `increase` cannot see the first
 *   request of a series (it starts at 1, with no earlier sample), so a series
 *   present now but absent in the period before counts as used. Compared
 *   series by series, before summing: with several proxies, the collection
 *   may well have series on another proxy already.
 * `{{period}}` becomes the period in seconds ("300s"). To read one Milvus
 * among several that Prometheus scrapes, add its labels (namespace, job) to
 * every selector in a query of your own.
 */
export const DEFAULT_USAGE_QUERY =
  `(${BY} (increase(${SIGNALS}[{{period}}])) > 0)` +
  ` or ${BY} (last_over_time(${SIGNALS}[{{period}}]) unless last_over_time(${SIGNALS}[{{period}}] offset {{period}}))`;

/** Whether any request series carries a collection label at all: tells "nobody searched" from "cannot see per collection". */
export const PER_COLLECTION_CHECK_QUERY = `count({${SIGNAL_SERIES}})`;

export interface PrometheusOptions {
  /** How far back a query looks: `{{period}}`. Choose at least the time between readings plus two scrape intervals, or a request between two scrapes can fall between readings. */
  readonly periodSeconds: number;
  readonly query?: string;
  readonly now?: () => Date;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 16 MiB. */
  readonly maxBytes?: number;
  /** Series in the answer. Default 200,000. */
  readonly maxSeries?: number;
}

interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

type QueryResult = { ok: true; result: readonly VectorSample[] } | { ok: false; tooLarge: boolean; message: string };

function isVectorSample(x: unknown): x is VectorSample {
  const s = x as { metric?: unknown; value?: unknown };
  return typeof s === 'object' && s !== null && typeof s.metric === 'object' && s.metric !== null && Array.isArray(s.value) && typeof s.value[1] === 'string';
}

/** Prometheus's JSON answer to an instant query, checked: a vector of at most `max` series, or what is wrong with it. */
function decodeAnswer(text: string, status: number, where: string, max: number): QueryResult {
  let body: { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { ok: false, tooLarge: false, message: `${where} answered HTTP ${status} with something that is not JSON; is the URL Prometheus's base URL?` };
  }
  if (body.status !== 'success') return { ok: false, tooLarge: false, message: `Prometheus refused the query (HTTP ${status}): ${typeof body.error === 'string' ? body.error.slice(0, 500) : 'no error text'}` };
  const result = body.data?.result;
  if (body.data?.resultType !== 'vector' || !Array.isArray(result) || !result.every(isVectorSample)) {
    return { ok: false, tooLarge: false, message: `the query must give an instant vector, got ${String(body.data?.resultType)}` };
  }
  if (result.length > max) return { ok: false, tooLarge: true, message: `the query gave ${result.length} series, more than ${max}` };
  return { ok: true, result };
}

export class PrometheusReader implements UsageReader {
  private readonly base: string;
  private readonly query: string;
  private readonly opts: PrometheusOptions;
  private readonly now: () => Date;

  constructor(url: string, opts: PrometheusOptions) {
    if (!Number.isInteger(opts.periodSeconds) || opts.periodSeconds < 1) throw new Error(`Prometheus usage source: periodSeconds must be a whole number of seconds >= 1, got ${opts.periodSeconds}`);
    this.base = url.endsWith('/') ? url : `${url}/`;
    this.query = (opts.query ?? DEFAULT_USAGE_QUERY).replaceAll('{{period}}', `${opts.periodSeconds}s`);
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
  }

  private async instant(query: string): Promise<QueryResult> {
    const url = new URL('api/v1/query', this.base);
    url.searchParams.set('query', query);
    const r = await boundedGet(url.href, { timeoutMs: this.opts.timeoutMs ?? 10_000, maxBytes: this.opts.maxBytes ?? 16 * 2 ** 20, accept: 'application/json' });
    if (!r.ok) return { ok: false, tooLarge: r.tooLarge, message: r.message };
    return decodeAnswer(r.body, r.status, describeUrl(url.href), this.opts.maxSeries ?? 200_000);
  }

  async read(): Promise<UsageReading> {
    const at = this.now();
    const where = `Prometheus at ${describeUrl(this.base)}`;
    const noRelease = 'no collection is released for idleness until it answers';
    const q = await this.instant(this.query);
    if (!q.ok) return { ok: false, at, reason: q.tooLarge ? 'UsageTooLarge' : 'UsageUnavailable', message: `${where}: ${q.message}; ${noRelease}` };
    if (q.result.some((s) => !s.metric.collection_name)) {
      return { ok: false, at, reason: 'UsageNotPerCollection', message: `${where}: the usage query gives series without a collection_name label, so usage per collection is unknown; keep collection_name (and db_name) in its "by (...)"` };
    }
    if (q.result.length === 0) {
      const check = await this.instant(PER_COLLECTION_CHECK_QUERY);
      if (!check.ok) return { ok: false, at, reason: 'UsageUnavailable', message: `${where}: ${check.message}; ${noRelease}` };
      if (check.result.length === 0) {
        return {
          ok: false,
          at,
          reason: 'UsageNotPerCollection',
          message: `${where} has no milvus_proxy_req_count or milvus_proxy_receive_bytes_count series with a collection_name label: check that it scrapes the Milvus proxies (port 9091, /metrics); until then nothing is released for idleness`,
        };
      }
    }
    const used = emptyCollectionSet();
    const seen = emptyCollectionSet();
    for (const s of q.result) {
      const collection = s.metric.collection_name as string;
      // Prometheus drops empty labels: no db_name means "unknown database" (2.3.x, or a client that named none).
      const database = s.metric.db_name || undefined;
      addCollection(seen, database, collection);
      if (Number(s.value[1]) > 0) addCollection(used, database, collection);
    }
    return { ok: true, at, since: new Date(at.getTime() - this.opts.periodSeconds * 1000), used, seen };
  }
}
