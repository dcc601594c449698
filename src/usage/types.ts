// What the usage layer reads and what it hands to the planner: which
// collections received searches or queries, from a source the operator is
// told about per Milvus instance. A reading that cannot see per-collection
// usage says so (ok: false), and the planner must then never release a
// collection for idleness.

/** Where usage comes from. */
export type UsageSourceConfig =
  /** The proxies' own Prometheus endpoints (`http://proxy:9091/metrics`), summed; the reader keeps the previous counters per endpoint. */
  | { readonly kind: 'MilvusMetrics'; readonly endpoints: readonly string[] }
  /** A Prometheus server that scrapes the proxies; `query` overrides the default PromQL (see DEFAULT_USAGE_QUERY in prometheus.ts). */
  | { readonly kind: 'Prometheus'; readonly url: string; readonly query?: string };

/**
 * A set of collections keyed by database, then collection name. Series from
 * Milvus 2.3 and older carry no database label: such a name goes into
 * `anyDatabase` and matches that collection name in every database (so a
 * search counts for every same-named collection, which errs towards keeping
 * collections loaded).
 */
export interface CollectionSet {
  readonly byDatabase: ReadonlyMap<string, ReadonlySet<string>>;
  readonly anyDatabase: ReadonlySet<string>;
}

export type UsageFailureReason =
  /** The source did not answer, answered with an error, or answered something that is not its format. */
  | 'UsageUnavailable'
  /** The source answers, but its series carry no collection label (Milvus versions without it, or a query that aggregates it away). */
  | 'UsageNotPerCollection'
  /** The answer exceeds the reader's bounds (bytes or series). */
  | 'UsageTooLarge';

export type UsageReading =
  | {
      readonly ok: true;
      /** When the reading was taken (the reader's clock). */
      readonly at: Date;
      /**
       * Collections with at least one Search, HybridSearch or Query request,
       * successful or failed, since `since`. Failed ones count: a search on a
       * released collection is a reason to load it again.
       */
      readonly used: CollectionSet;
      /**
       * Start of the interval `used` covers. MilvusMetrics: the reading that
       * gave the baseline counters (undefined on the first reading, which
       * only takes the baseline: `used` is then empty). Prometheus: `at`
       * minus the query's range.
       */
      readonly since: Date | undefined;
      /** Collections with request series. MilvusMetrics: all of them, used or not; Prometheus: those the query returned (with the default query, the used ones). */
      readonly seen: CollectionSet;
    }
  | {
      readonly ok: false;
      readonly at: Date;
      readonly reason: UsageFailureReason;
      /** Names the source and says what to do; never holds a credential. */
      readonly message: string;
    };

/** Anything that can take a reading; one per Milvus instance. */
export interface UsageReader {
  read(): Promise<UsageReading>;
}
