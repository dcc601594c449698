// The usage-aware parts of a policy's spec (issue 18, ADR 0010): idle release
// with load on use, rolling partition windows, and the load priority.
import { parseDuration } from './duration.ts';
import { COLLECTION_GLOB, DURATION } from './patterns.ts';
import { arr, bool, enumOf, int, obj, rule, str } from './schema.ts';

export const LOAD_PRIORITIES = ['High', 'Low'] as const;
export type LoadPriority = (typeof LOAD_PRIORITIES)[number];

export const PARTITION_ORDERS = ['Name', 'CreationTime'] as const;

/** The shortest `spec.idle.releaseAfter`: shorter periods would release between two searches of a normal workload. */
export const MIN_RELEASE_AFTER_MS = 60_000;

export const idleSchema = obj(
  'Release selected collections nobody uses, and optionally load them again when requests come (ADR 0010). Usage comes from the `spec.usage` source of the CollectionLoadBudget for this Milvus instance; where usage is unknown (no source, source down, no per-collection metrics) nothing is ever released for idleness and the status says why.',
  {
    releaseAfter: str(
      'Release a collection after this long without searches or queries (`2h`, `30m`; at least `1m`). Idleness is counted from the latest of: the last request, when the operator began observing usage, and when the collection was loaded; so a restarted operator waits a full period again.',
      {
        minLength: 2,
        maxLength: 16,
        pattern: DURATION,
        patternHint: 'a duration such as 30m or 2h',
        rules: [
          rule<string>({
            cel: "self == '' || duration(self) >= duration('1m')",
            message: 'spec.idle.releaseAfter must be at least 1m',
            check: (s) => (parseDuration(s) ?? 0) >= MIN_RELEASE_AFTER_MS,
          }),
        ],
      },
    ),
    loadOnUse: bool(
      'Load a collection released by this policy (for idleness, by `state: Released`, or outside the schedule windows) when requests for it appear, and release it again after `releaseAfter` without requests. The first requests fail until the load completes. Subject to the budget.',
      false,
    ),
    overrideLoaded: bool(
      'Let idleness release collections the policy wants Loaded (`state: Loaded`, or inside a schedule window). Without it the declared state wins there and idleness only applies where the policy wants collections Released.',
      false,
    ),
  },
  { required: ['releaseAfter'] },
);

export const partitionSelectorSchema = obj(
  'A rolling partition window: act on the partitions whose names match `patterns`, keep the newest `keepNewest` of them loaded and release the older ones. Re-evaluated on every resync, so a new partition moves the window: it is loaded first, then the oldest is released. Partitions that match no pattern are never touched. Cannot be combined with `spec.partitions`.',
  {
    patterns: arr(
      'Shell-style globs over the partition names of each selected collection (`p_2026_*`).',
      str('A glob.', { minLength: 1, maxLength: 255, pattern: COLLECTION_GLOB, patternHint: 'a glob of letters, digits, _, -, *, ?, [ ] and !' }),
      { minItems: 1, maxItems: 32, listType: 'set' },
    ),
    keepNewest: int('How many of the newest matching partitions to keep loaded.', { minimum: 1, maximum: 1024 }),
    orderBy: enumOf(
      '`Name`: the newest partition has the greatest name (for names like `p_2026_11`). `CreationTime`: the newest was created last in Milvus; ties by name.',
      PARTITION_ORDERS,
      'Name',
    ),
  },
  { required: ['patterns', 'keepNewest'] },
);

export const loadPriorityField = enumOf(
  'Milvus load priority (`load_params` priority, Milvus 2.6+): `High` loads ahead of `Low` on busy query nodes. Not set: the server default, except that prewarm loads use `Low` and load-on-use loads `High`. Servers older than 2.6 ignore it; the policy\'s conditions say so.',
  LOAD_PRIORITIES,
);

type Spec = {
  state?: string;
  schedule?: unknown;
  partitions?: string[];
  partitionSelector?: unknown;
  load?: { fields?: string[] };
  idle?: { loadOnUse?: boolean; overrideLoaded?: boolean };
};

const loadOnUse = (s: Spec): boolean => s.idle?.loadOnUse === true;

/** Cross-field rules of the usage-aware fields, on the policy's spec. */
export const usageRules = [
  rule<Spec>({
    cel: '!has(self.partitionSelector) || !has(self.partitions) || size(self.partitions) == 0',
    message: 'spec.partitionSelector and spec.partitions cannot both be set: use the list for fixed partitions or the selector for a rolling window',
    fieldPath: '.partitionSelector',
    reason: 'FieldValueForbidden',
    check: (s) => s.partitionSelector === undefined || (s.partitions?.length ?? 0) === 0,
  }),
  rule<Spec>({
    cel: '!has(self.partitionSelector) || !has(self.load) || !has(self.load.fields) || size(self.load.fields) == 0',
    message: "spec.partitionSelector cannot be combined with spec.load.fields: Milvus loads partitions with the collection's field set; remove one of them",
    fieldPath: '.partitionSelector',
    reason: 'FieldValueForbidden',
    check: (s) => s.partitionSelector === undefined || (s.load?.fields?.length ?? 0) === 0,
  }),
  rule<Spec>({
    cel:
      "!has(self.idle) || (has(self.idle.overrideLoaded) && self.idle.overrideLoaded) || (has(self.idle.loadOnUse) && self.idle.loadOnUse && ((has(self.state) && self.state == 'Released') || has(self.schedule)))",
    message:
      'spec.idle would never change anything: set spec.idle.overrideLoaded: true to release idle collections this policy wants Loaded, or spec.idle.loadOnUse: true with state: Released or a schedule to load collections on demand',
    fieldPath: '.idle',
    check: (s) => s.idle === undefined || s.idle.overrideLoaded === true || (loadOnUse(s) && (s.state === 'Released' || s.schedule !== undefined)),
  }),
] as const;

/** `spec.load` is used when the policy loads: `state: Loaded`, or on demand (`spec.idle.loadOnUse`). */
export const loadNeedsLoadedRule = rule<Spec>({
  cel: "!has(self.load) || !has(self.state) || self.state == 'Loaded' || (has(self.idle) && has(self.idle.loadOnUse) && self.idle.loadOnUse)",
  message: 'spec.load is only used when the policy loads (state: Loaded, or spec.idle.loadOnUse: true); remove spec.load, set state: Loaded or turn loadOnUse on',
  fieldPath: '.load',
  reason: 'FieldValueForbidden',
  check: (s) => s.load === undefined || s.state === undefined || s.state === 'Loaded' || loadOnUse(s),
});

/** Per-collection status fields of policies with `spec.idle`. */
export const usageStatusFields = {
  lastUsedTime: str(
    'When the usage source last saw a request for this collection (searches and queries, failed ones too). Only for policies with spec.idle; coarse on purpose: moved at most every tenth of releaseAfter (at least 1m), so busy collections do not rewrite the status every period.',
    { format: 'date-time', maxLength: 64 },
  ),
  usageUnknownReason: str(
    'Set when the operator cannot see requests for this collection, so it never releases it for idleness (nor loads it on use): UsageNoSource (no budget of this Milvus has spec.usage), UsageNotRead (no reading yet), UsageUnavailable (the proxies or Prometheus do not answer, or not in their format), UsageNotPerCollection (the series name no collection), UsageTooLarge (the answer exceeds 16 MiB or 200,000 series), UsageStale (no good reading for three periods). The UsageKnown condition says what to do.',
    { maxLength: 128 },
  ),
} as const;
