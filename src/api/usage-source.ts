// Where the operator reads how much each collection is used (ADR 0010): set
// on the cluster-scoped budget, by whoever owns the Milvus instance, so that
// policy authors cannot make the operator fetch URLs of their choosing.
import { parseDuration } from './duration.ts';
import { DURATION, HTTP_URL } from './patterns.ts';
import { arr, obj, rule, str } from './schema.ts';

export const DEFAULT_USAGE_PERIOD = '1m';

const url = (description: string): ReturnType<typeof str> =>
  str(description, {
    minLength: 8,
    maxLength: 512,
    pattern: HTTP_URL,
    patternHint: 'http(s)://host[:port][/path]; no user, query or fragment',
  });

export const usageSourceSchema = obj(
  'Where to read how often each collection of this Milvus instance is searched and queried, for policies with `spec.idle`. Give exactly one of `milvusMetrics` or `prometheus`. Without it, usage is unknown and nothing is released for idleness.',
  {
    milvusMetrics: obj(
      "Scrape the Milvus proxies' own Prometheus endpoints and sum their request counters per collection (a proxy restart's counter reset is handled).",
      {
        endpoints: arr(
          'The metrics URL of every proxy, such as `http://milvus-proxy-0.milvus:9091/metrics`. Requests through a proxy that is not listed are not seen.',
          url('A metrics URL.'),
          { minItems: 1, maxItems: 64, listType: 'set' },
        ),
      },
      { required: ['endpoints'] },
    ),
    prometheus: obj(
      'Ask a Prometheus server that already scrapes the Milvus proxies.',
      {
        url: url('Base URL of the Prometheus HTTP API, such as `http://prometheus.monitoring:9090`.'),
        query: str(
          "PromQL instant query returning one series per used collection, with label `collection_name` (and `db_name`; without it the name counts in every database), value above zero when it had requests; `{{period}}` is replaced by the look-back window (`70s`). Omit for the operator's default: searches and queries, failed ones included, from `milvus_proxy_req_count` (recent Milvus) and `milvus_proxy_receive_bytes_count` (2.3.x, whose req_count names no collection), counters that grew within the window plus series that appeared in it.",
          { minLength: 1, maxLength: 4096 },
        ),
      },
      { required: ['url'] },
    ),
    period: str('How often usage is read (`1m`, `30s`; 10s to 1h). Idle release and load on use act within about one period.', {
      minLength: 2,
      maxLength: 16,
      pattern: DURATION,
      patternHint: 'a duration such as 30s or 1m',
      default: DEFAULT_USAGE_PERIOD,
      rules: [
        rule<string>({
          cel: "self == '' || (duration(self) >= duration('10s') && duration(self) <= duration('1h'))",
          message: 'spec.usage.period must be between 10s and 1h',
          check: (s) => {
            const ms = parseDuration(s) ?? 0;
            return ms >= 10_000 && ms <= 3_600_000;
          },
        }),
      ],
    }),
  },
  {
    rules: [
      rule<{ milvusMetrics?: unknown; prometheus?: unknown }>({
        cel: 'has(self.milvusMetrics) != has(self.prometheus)',
        message: 'spec.usage needs exactly one of milvusMetrics or prometheus',
        check: (s) => (s.milvusMetrics === undefined) !== (s.prometheus === undefined),
      }),
    ],
  },
);

/** Why usage is unknown: one vocabulary for the readers, the planner and the status (docs/usage.md). */
export type UsageUnknownReason = 'UsageNoSource' | 'UsageNotRead' | 'UsageUnavailable' | 'UsageNotPerCollection' | 'UsageTooLarge' | 'UsageStale';

/**
 * What the usage source (src/usage, configured by the budget's
 * `spec.usage`) knows about one collection, as the planner decides with it.
 * Times are epoch milliseconds. Defined here because both the usage layer,
 * which produces it, and the planner, which reads it, may import src/api.
 */
export type CollectionUsage =
  | {
      readonly state: 'Known';
      /** The reading that saw its latest request (an upper bound: the request was at most one reading interval earlier). Absent: none since `trackedSince`. */
      readonly lastUsedTime?: number;
      /** Usage has been watched without a gap since then (this operator's start, or the source's recovery): idleness counts from max(lastUsedTime, trackedSince). */
      readonly trackedSince: number;
    }
  | {
      readonly state: 'Unknown';
      readonly reason: UsageUnknownReason;
      /** What is wrong and what to do. */
      readonly message: string;
    };
