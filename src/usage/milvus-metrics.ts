// Usage from the Milvus proxies' own /metrics endpoints. Counters are
// cumulative per proxy process, so the reader keeps each endpoint's previous
// values and reports the collections whose request counters moved since the
// previous good reading. Several proxies are read together; one that does
// not answer makes the whole reading unusable (its requests are invisible,
// so nothing may be called idle).
import { addCollection, emptyCollectionSet, type MutableCollectionSet } from './collection-set.ts';
import { boundedGet, describeUrl } from './bounded-get.ts';
import { ExpositionError, selectSamples, type ExpositionSample } from './exposition.ts';
import type { UsageReader, UsageReading } from './types.ts';

/**
 * The counters that show a search or query on a collection, failed ones
 * included. Recent Milvus labels milvus_proxy_req_count with db_name and
 * collection_name; 2.3.x labels it with node_id, function_name and status
 * only, but milvus_proxy_receive_bytes_count there carries collection_name
 * (and msg_type) and moves on every received search or query, failed or not.
 * Both are read; a collection is used when either moved.
 */
export const USAGE_SIGNALS: readonly { readonly metric: string; readonly label: string; readonly values: ReadonlySet<string> }[] = [
  { metric: 'milvus_proxy_req_count', label: 'function_name', values: new Set(['Search', 'HybridSearch', 'Query']) },
  { metric: 'milvus_proxy_receive_bytes_count', label: 'msg_type', values: new Set(['search', 'hybrid_search', 'query']) },
];
const METRIC_NAMES: ReadonlySet<string> = new Set(USAGE_SIGNALS.map((s) => s.metric));

export interface MilvusMetricsOptions {
  readonly now?: () => Date;
  /** Per endpoint. Default 10 s. */
  readonly timeoutMs?: number;
  /** Per endpoint. Default 16 MiB (a proxy with 10,000 collections serves about 5 MiB). */
  readonly maxBytes?: number;
  /** Samples of the signal metrics per endpoint. Default 200,000. */
  readonly maxSeries?: number;
}

interface Series {
  readonly database: string | undefined;
  readonly collection: string;
  readonly value: number;
}

/** A request series of one collection: `undefined` for samples of other requests or without a collection label. */
function requestSeries(s: ExpositionSample): Series | undefined {
  const signal = USAGE_SIGNALS.find((x) => x.metric === s.name);
  const collection = s.labels.get('collection_name');
  if (signal === undefined || !collection || !signal.values.has(s.labels.get(signal.label) ?? '')) return undefined;
  // An empty db_name is what recent proxies record when the client named no database; without a label (2.3.x) it is unknown too.
  const database = s.labels.get('db_name') || undefined;
  return { database, collection, value: s.value };
}

/** The identity of a series within one endpoint: its metric and every label, in a fixed order. */
function seriesKey(s: ExpositionSample): string {
  return JSON.stringify([s.name, [...s.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** Whether a counter moved: grew, or restarted (lower than before) and counted something since. A new series counts if it is above zero. */
function moved(previous: number | undefined, value: number): boolean {
  if (previous === undefined || value < previous) return value > 0;
  return value > previous;
}

type Scrape = { ok: true; samples: ExpositionSample[] } | { ok: false; reading: UsageReading };

export class MilvusMetricsReader implements UsageReader {
  private readonly endpoints: readonly string[];
  private readonly now: () => Date;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxSeries: number;
  /** Per endpoint, the request series' values at the last good reading. Kept through failed readings, so a later good one covers the gap. */
  private baseline = new Map<string, Map<string, number>>();
  private lastGood: Date | undefined;
  /** A read in progress: a second caller shares it, so two reads never race on the baseline. */
  private inFlight: Promise<UsageReading> | undefined;

  constructor(endpoints: readonly string[], opts: MilvusMetricsOptions = {}) {
    if (endpoints.length === 0) throw new Error('MilvusMetrics usage source: list at least one proxy metrics endpoint (http://<proxy>:9091/metrics)');
    this.endpoints = [...new Set(endpoints)];
    this.now = opts.now ?? (() => new Date());
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 16 * 2 ** 20;
    this.maxSeries = opts.maxSeries ?? 200_000;
  }

  private async scrape(endpoint: string, at: Date): Promise<Scrape> {
    const where = describeUrl(endpoint);
    const fail = (reason: 'UsageUnavailable' | 'UsageTooLarge', message: string): Scrape => ({ ok: false, reading: { ok: false, at, reason, message } });
    const r = await boundedGet(endpoint, { timeoutMs: this.timeoutMs, maxBytes: this.maxBytes, accept: 'text/plain;version=0.0.4' });
    if (!r.ok) return fail(r.tooLarge ? 'UsageTooLarge' : 'UsageUnavailable', `Milvus proxy metrics: ${r.message}; no collection is released for idleness until every endpoint answers`);
    if (r.status !== 200) return fail('UsageUnavailable', `Milvus proxy metrics: GET ${where} answered HTTP ${r.status}; check the endpoint is a proxy's metrics port (9091, path /metrics)`);
    try {
      return { ok: true, samples: selectSamples(r.body, METRIC_NAMES, this.maxSeries) };
    } catch (e: unknown) {
      if (!(e instanceof ExpositionError)) throw e;
      const tooMany = e.message.startsWith('more than');
      return fail(tooMany ? 'UsageTooLarge' : 'UsageUnavailable', `Milvus proxy metrics at ${where}: ${e.message}${tooMany ? '' : '; is this a Prometheus text endpoint?'}`);
    }
  }

  read(): Promise<UsageReading> {
    this.inFlight ??= this.readOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readOnce(): Promise<UsageReading> {
    const at = this.now();
    const scrapes = await Promise.all(this.endpoints.map((e) => this.scrape(e, at)));
    for (const s of scrapes) if (!s.ok) return s.reading;
    const all = scrapes.map((s) => (s.ok ? s.samples : []));
    const perCollection = all.some((samples) => samples.some((s) => Boolean(s.labels.get('collection_name'))));
    if (!perCollection) {
      return {
        ok: false,
        at,
        reason: 'UsageNotPerCollection',
        message: `Milvus proxy metrics at ${this.endpoints.map(describeUrl).join(', ')}: no ${[...METRIC_NAMES].join(' or ')} series carries a collection_name label, so usage per collection is unknown and nothing is released for idleness (this Milvus version may not label them; use a Prometheus source with a query that has the label, or turn idle release off)`,
      };
    }
    const used = emptyCollectionSet();
    const seen = emptyCollectionSet();
    const next = new Map<string, Map<string, number>>();
    this.endpoints.forEach((endpoint, i) => next.set(endpoint, this.compare(endpoint, all[i] ?? [], used, seen)));
    const since = this.lastGood;
    this.baseline = next;
    this.lastGood = at;
    return { ok: true, at, since, used: since === undefined ? emptyCollectionSet() : used, seen };
  }

  private compare(endpoint: string, samples: readonly ExpositionSample[], used: MutableCollectionSet, seen: MutableCollectionSet): Map<string, number> {
    const before = this.baseline.get(endpoint);
    const values = new Map<string, number>();
    for (const sample of samples) {
      const s = requestSeries(sample);
      if (s === undefined) continue;
      const key = seriesKey(sample);
      values.set(key, s.value);
      addCollection(seen, s.database, s.collection);
      if (before !== undefined && moved(before.get(key), s.value)) addCollection(used, s.database, s.collection);
    }
    return values;
  }
}
