// Usage of each Milvus instance, for idle release and load on use (ADR 0010,
// 0011): one reader and tracker per instance whose budget has `spec.usage`,
// read from the instance's own reconcile at most once per period, and turned
// into the planner's per-collection input. Unknown usage (no source, source
// down, stale) is passed on as unknown: the planner then never releases for
// idleness.
import type { CollectionLoadBudget, UsageSourceSpec } from '../api/budget.ts';
import { parseDuration } from '../api/duration.ts';
import { DEFAULT_USAGE_PERIOD } from '../api/usage-source.ts';
import type { CollectionUsage, UsageInput } from '../planner/types.ts';
import { createUsageReader } from '../usage/reader.ts';
import { UsageTracker } from '../usage/tracker.ts';
import type { UsageReader, UsageSourceConfig } from '../usage/types.ts';

/** Makes a reader; tests give one that reads a simulator or a real Prometheus. */
export type UsageReaderFactory = (config: UsageSourceConfig, periodMs: number) => UsageReader;

/**
 * Prometheus' query looks back one period plus a minute, so that two scrapes
 * (at the common 30 s interval) fall within it and a request between two
 * readings is not lost (docs/usage.md).
 */
export const defaultUsageReaderFactory: UsageReaderFactory = (config, periodMs) => createUsageReader(config, { periodSeconds: Math.ceil(periodMs / 1000) + 60 });

interface Watch {
  readonly fingerprint: string;
  readonly reader: UsageReader;
  readonly tracker: UsageTracker;
  readonly periodMs: number;
  readonly sourceKind: UsageSourceConfig['kind'];
  nextReadAt: number;
}

/** What one pass knows about usage on its instance. */
export interface UsageView {
  /** The kind of source the budget names. */
  readonly sourceKind: UsageSourceConfig['kind'];
  readonly periodMs: number;
  /** When the next reading is due (epoch ms): the controller wakes the instance then. */
  readonly nextReadAt: number;
  usageOf(database: string, collection: string): CollectionUsage;
  /** What the source says in general: known (no request seen) or unknown and why; the answer for a collection it has not named. */
  sourceState(): CollectionUsage;
}

function configOf(spec: UsageSourceSpec): UsageSourceConfig | undefined {
  if (spec.milvusMetrics) return { kind: 'MilvusMetrics', endpoints: spec.milvusMetrics.endpoints };
  if (spec.prometheus) return { kind: 'Prometheus', url: spec.prometheus.url, ...(spec.prometheus.query ? { query: spec.prometheus.query } : {}) };
  return undefined;
}

/** The usage source of an instance: from its oldest budget that names one (several budgets of one instance should agree). */
function sourceOf(budgets: readonly CollectionLoadBudget[]): { config: UsageSourceConfig; periodMs: number } | undefined {
  const withUsage = budgets.filter((b) => b.spec.usage !== undefined).sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  const spec = withUsage[0]?.spec.usage;
  const config = spec ? configOf(spec) : undefined;
  if (!spec || !config) return undefined;
  return { config, periodMs: parseDuration(spec.period ?? DEFAULT_USAGE_PERIOD) ?? 60_000 };
}

export class UsageWatches {
  private readonly byInstance = new Map<string, Watch>();
  private readonly factory: UsageReaderFactory;
  private readonly now: () => number;

  constructor(now: () => number, factory: UsageReaderFactory = defaultUsageReaderFactory) {
    this.now = now;
    this.factory = factory;
  }

  /** Reads usage when a period has passed; undefined when no budget of the instance names a source. */
  async observe(instance: string, budgets: readonly CollectionLoadBudget[]): Promise<UsageView | undefined> {
    const source = sourceOf(budgets);
    if (!source) {
      this.byInstance.delete(instance);
      return undefined;
    }
    const watch = this.watchFor(instance, source);
    const now = this.now();
    if (now >= watch.nextReadAt) {
      watch.tracker.record(await watch.reader.read());
      watch.nextReadAt = now + watch.periodMs;
    }
    return {
      sourceKind: watch.sourceKind,
      periodMs: watch.periodMs,
      nextReadAt: watch.nextReadAt,
      usageOf: (db, collection) => watch.tracker.usage(db, collection),
      // No Milvus collection has an empty name: the tracker's general state.
      sourceState: () => watch.tracker.usage('', ''),
    };
  }

  /** The instance's watch; a changed source or period starts a new one (its history no longer applies). */
  private watchFor(instance: string, source: { config: UsageSourceConfig; periodMs: number }): Watch {
    const fingerprint = JSON.stringify(source);
    const existing = this.byInstance.get(instance);
    if (existing?.fingerprint === fingerprint) return existing;
    const now = this.now;
    // A reading older than three periods no longer counts: the source has been failing or unread.
    const tracker = new UsageTracker({ now: () => new Date(now()), staleAfterMs: 3 * source.periodMs });
    const watch: Watch = { fingerprint, reader: this.factory(source.config, source.periodMs), tracker, periodMs: source.periodMs, sourceKind: source.config.kind, nextReadAt: 0 };
    this.byInstance.set(instance, watch);
    return watch;
  }
}

/**
 * The planner's usage input for the collections policies with `spec.idle`
 * may act on: every observed collection of their databases. `otherwise`
 * answers for any other name with what the source says in general.
 */
export function usageInput(view: UsageView, databases: ReadonlyMap<string, Iterable<string>>): UsageInput {
  const collections = new Map<string, CollectionUsage>();
  for (const [db, names] of databases) for (const name of names) collections.set(`${db}/${name}`, view.usageOf(db, name));
  return { periodMs: view.periodMs, collections, otherwise: view.sourceState() };
}
