// CollectionLoadPolicy: the one definition of its spec and status.
import { conditionsSchema, positiveQuantity, timestamp } from './common.ts';
import { DEFAULT_DATABASE, DEFAULT_LOAD_TIMEOUT_SECONDS, DEFAULT_PRIORITY, DEFAULT_REPLICAS, DEFAULT_STATE } from './constants.ts';
import { parseDuration } from './duration.ts';
import {
  CLOCK_TIME,
  CLOCK_TIME_END,
  COLLECTION_GLOB,
  DNS_SUBDOMAIN,
  DURATION,
  MILVUS_NAME,
  MILVUS_PARTITION_NAME,
  MILVUS_URI,
  SECRET_KEY,
  TIME_ZONE,
} from './patterns.ts';
import { idleSchema, loadNeedsLoadedRule, loadPriorityField, partitionSelectorSchema, usageRules, usageStatusFields } from './policy-usage.ts';
import { arr, bool, enumOf, int, obj, rule, str, type Static, type StringNode } from './schema.ts';

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAYS)[number];

export const LOAD_STATES = ['Loaded', 'Released'] as const;
export type LoadState = (typeof LOAD_STATES)[number];

export const COLLECTION_STATES = ['Loaded', 'Loading', 'Released', 'NotFound', 'Deferred', 'Conflict', 'Failed'] as const;
export type CollectionState = (typeof COLLECTION_STATES)[number];

export const FAILURE_CLASSES = ['Terminal', 'Retryable'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

const secretName = (description: string): StringNode =>
  str(description, { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN, patternHint: 'a Kubernetes object name (lower-case DNS subdomain)' });

const milvusSchema = obj(
  'How to reach the Milvus instance. Policies with the same normalized URI share one connection and one reconcile loop.',
  {
    uri: str(
      'Milvus proxy address, `http://host:port` or `https://host:port` (`https` turns TLS on). The port defaults to 19530. Cluster DNS suffixes such as `.svc.cluster.local` are ignored when policies and budgets are matched to an instance.',
      { minLength: 8, maxLength: 512, pattern: MILVUS_URI, patternHint: 'http://host:port or https://host:port; host a DNS name, IPv4 address or [IPv6] address; port 1-65535' },
    ),
    database: str('Milvus database that holds the selected collections.', {
      minLength: 1,
      maxLength: 255,
      pattern: MILVUS_NAME,
      patternHint: 'a Milvus database name (letters, digits, _; not starting with a digit)',
      default: DEFAULT_DATABASE,
    }),
    credentialsSecret: obj(
      'Secret in the policy\'s own namespace with the Milvus credentials: key `token` (an API key or `user:password`), or keys `username` and `password`. Omit for a Milvus without authentication.',
      { name: secretName('Name of the Secret, in the same namespace as the policy.') },
      { required: ['name'] },
    ),
    tls: obj(
      'TLS settings for an `https://` URI. Without this, the system trust store verifies the server.',
      {
        caSecret: obj(
          'Secret in the policy\'s namespace holding the PEM CA bundle that signed the Milvus server certificate.',
          {
            name: secretName('Name of the Secret.'),
            key: str('Key in the Secret that holds the PEM bundle.', { minLength: 1, maxLength: 253, pattern: SECRET_KEY, default: 'ca.crt' }),
          },
          { required: ['name'] },
        ),
        serverName: str('Name to verify the server certificate against (SNI), when it differs from the URI host.', {
          minLength: 1,
          maxLength: 253,
          pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$',
          patternHint: 'a DNS name',
        }),
      },
    ),
    timeoutSeconds: int('Deadline of each call to Milvus, in seconds.', { minimum: 1, maximum: 600, default: 30 }),
  },
  {
    required: ['uri'],
    rules: [
      rule<{ uri: string; tls?: unknown }>({
        cel: "!has(self.tls) || self.uri.startsWith('https://')",
        message: 'spec.milvus.tls needs an https:// uri; change the uri to https:// or remove tls',
        fieldPath: '.tls',
        check: (s) => s.tls === undefined || s.uri.startsWith('https://'),
      }),
    ],
  },
);

const selectorSchema = obj(
  'Which collections of the database this policy manages. Nothing outside the selection is ever touched. Give names, patterns, or both; a collection matched by either is selected.',
  {
    names: arr(
      'Exact collection names. A name that does not exist in Milvus is reported as `NotFound`.',
      str('A collection name.', { minLength: 1, maxLength: 255, pattern: MILVUS_NAME, patternHint: 'a Milvus collection name' }),
      { maxItems: 256, listType: 'set' },
    ),
    patterns: arr(
      'Shell-style globs over the database\'s collection names: `*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!abc]` a class. Matches are re-evaluated on every resync, so new collections are picked up.',
      str('A glob.', { minLength: 1, maxLength: 255, pattern: COLLECTION_GLOB, patternHint: 'a glob of letters, digits, _, -, *, ?, [ ] and !' }),
      { maxItems: 32, listType: 'set' },
    ),
  },
  {
    rules: [
      rule<{ names?: string[]; patterns?: string[] }>({
        cel: '(has(self.names) && size(self.names) > 0) || (has(self.patterns) && size(self.patterns) > 0)',
        message: 'spec.selector needs at least one entry in names or patterns',
        check: (s) => (s.names?.length ?? 0) > 0 || (s.patterns?.length ?? 0) > 0,
      }),
    ],
  },
);

const loadSchema = obj(
  'Options used when the operator loads a selected collection. Changing `replicas` or `resourceGroups` of a loaded collection reloads it in place (Milvus 2.4.13+).',
  {
    replicas: int('Number of in-memory replicas (`replica_number`).', { minimum: 1, maximum: 64, default: DEFAULT_REPLICAS }),
    resourceGroups: arr(
      'Milvus resource groups to place replicas in. Give none, one, or exactly as many as `replicas`.',
      str('A resource group name.', { minLength: 1, maxLength: 255, pattern: MILVUS_NAME, patternHint: 'a Milvus resource group name' }),
      { maxItems: 64, listType: 'set' },
    ),
    fields: arr(
      'Load only these fields (`load_fields`); they must include the primary key and every vector field that is searched. Empty means all fields.',
      str('A field name.', { minLength: 1, maxLength: 255, pattern: MILVUS_NAME, patternHint: 'a Milvus field name' }),
      { maxItems: 256, listType: 'set' },
    ),
    skipDynamicField: bool('Do not load the dynamic field (`skip_load_dynamic_field`).', false),
    timeoutSeconds: int(
      'A collection still `Loading` after this many seconds is reported `Failed` with reason `LoadTimedOut`. Milvus keeps loading; the operator keeps watching.',
      { minimum: 10, maximum: 86400, default: DEFAULT_LOAD_TIMEOUT_SECONDS },
    ),
    memoryEstimate: positiveQuantity(
      'Estimated query-node memory of one loaded collection, replicas included, used by budgets. Overrides the measured and schema-derived estimates.',
      'spec.load.memoryEstimate',
    ),
    priority: loadPriorityField,
  },
  {
    rules: [
      rule<{ replicas?: number; resourceGroups?: string[] }>({
        cel: '!has(self.resourceGroups) || size(self.resourceGroups) <= 1 || size(self.resourceGroups) == self.replicas',
        message: 'spec.load.resourceGroups must have 0, 1, or exactly spec.load.replicas entries (Milvus places one replica per group)',
        fieldPath: '.resourceGroups',
        check: (s) => (s.resourceGroups?.length ?? 0) <= 1 || s.resourceGroups?.length === (s.replicas ?? DEFAULT_REPLICAS),
      }),
    ],
  },
);

const windowSchema = obj(
  'A recurring time window. It belongs to the day it starts on and may cross midnight (`22:00`-`02:00`).',
  {
    days: arr('Days the window starts on. Empty means every day.', enumOf('A day of the week.', DAYS), { maxItems: 7, listType: 'set' }),
    start: str('Opening time, `HH:MM` (24-hour) in the schedule time zone.', { minLength: 5, maxLength: 5, pattern: CLOCK_TIME, patternHint: 'HH:MM, 00:00 to 23:59' }),
    end: str('Closing time, `HH:MM`; `24:00` means midnight at the end of the day. Earlier than `start` means the window ends the next day.', {
      minLength: 5,
      maxLength: 5,
      pattern: CLOCK_TIME_END,
      patternHint: 'HH:MM, 00:00 to 24:00',
    }),
  },
  {
    required: ['start', 'end'],
    rules: [
      rule<{ start: string; end: string }>({
        cel: "self.start != self.end && !(self.start == '00:00' && self.end == '24:00')",
        message: 'a window needs different start and end times; for all day, omit spec.schedule',
        fieldPath: '.end',
        check: (s) => s.start !== s.end && !(s.start === '00:00' && s.end === '24:00'),
      }),
    ],
  },
);

const scheduleSchema = obj(
  'When `state` applies. Inside a window the effective state is `state`; outside every window it is `Released`. Overlapping windows merge.',
  {
    timeZone: str('IANA time zone the windows are read in, such as `Europe/Berlin`.', {
      minLength: 1,
      maxLength: 64,
      pattern: TIME_ZONE,
      patternHint: 'an IANA time zone name such as Europe/Berlin',
      default: 'UTC',
    }),
    windows: arr('The windows. At least one.', windowSchema, { minItems: 1, maxItems: 32, listType: 'atomic' }),
    prewarm: str('Start loading this long before a window opens (`15m`, `1h`), so the collections are ready when it does. At most 12h.', {
      minLength: 2,
      maxLength: 16,
      pattern: DURATION,
      patternHint: 'a duration such as 15m or 1h30m',
      rules: [
        rule<string>({
          cel: "self == '' || duration(self) <= duration('12h')",
          message: 'spec.schedule.prewarm must be at most 12h',
          check: (s) => (parseDuration(s) ?? 0) <= 12 * 3_600_000,
        }),
      ],
    }),
  },
  { required: ['windows'] },
);

export const policySpecSchema = obj(
  'Desired load state of a set of Milvus collections.',
  {
    milvus: milvusSchema,
    selector: selectorSchema,
    partitions: arr(
      'Act on these partitions only, not on whole collections. Each must exist in every selected collection.',
      str('A partition name.', { minLength: 1, maxLength: 255, pattern: MILVUS_PARTITION_NAME, patternHint: 'a Milvus partition name' }),
      { maxItems: 64, listType: 'set' },
    ),
    partitionSelector: partitionSelectorSchema,
    state: enumOf('`Loaded` keeps the selection in query-node memory; `Released` keeps it out.', LOAD_STATES, DEFAULT_STATE),
    load: loadSchema,
    schedule: scheduleSchema,
    idle: idleSchema,
    priority: int('Higher wins when policies select the same collection and when a budget is short of memory.', {
      minimum: -1_000_000,
      maximum: 1_000_000,
      default: DEFAULT_PRIORITY,
    }),
    deletionPolicy: enumOf(
      '`Retain` leaves Milvus as it is when the policy is deleted. `Release` releases the selection first (unless another policy still wants it loaded).',
      ['Retain', 'Release'],
      'Retain',
    ),
    suspend: bool('Observe and report only; change nothing in Milvus.', false),
  },
  {
    required: ['milvus', 'selector'],
    rules: [
      loadNeedsLoadedRule,
      rule<{ state?: string; schedule?: unknown }>({
        cel: "!has(self.schedule) || !has(self.state) || self.state == 'Loaded'",
        message: 'spec.schedule only applies to state Loaded (outside its windows everything is Released anyway); remove spec.schedule or set state: Loaded',
        fieldPath: '.schedule',
        reason: 'FieldValueForbidden',
        check: (s) => s.schedule === undefined || s.state === undefined || s.state === 'Loaded',
      }),
      rule<{ partitions?: string[]; load?: { fields?: string[] } }>({
        cel: '!has(self.partitions) || size(self.partitions) == 0 || !has(self.load) || !has(self.load.fields) || size(self.load.fields) == 0',
        message: 'spec.partitions cannot be combined with spec.load.fields: Milvus loads partitions with the collection\'s field set; remove one of them',
        fieldPath: '.partitions',
        reason: 'FieldValueForbidden',
        check: (s) => (s.partitions?.length ?? 0) === 0 || (s.load?.fields?.length ?? 0) === 0,
      }),
      ...usageRules,
    ],
  },
);

const collectionStatusSchema = obj(
  'What the operator last observed and did for one selected collection.',
  {
    name: str('Collection name.', { maxLength: 255 }),
    state: enumOf('Observed state: Loaded, Loading, Released, NotFound, Deferred (over budget), Conflict (another policy wins), Failed.', COLLECTION_STATES),
    progress: int('Load progress in percent, while Loading.', { minimum: 0, maximum: 100 }),
    replicas: int('Replicas observed in Milvus, where the server reports them.', { minimum: 0, maximum: 1024 }),
    memoryBytes: int('Estimated memory of the loaded collection, in bytes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
    memorySource: enumOf('Where memoryBytes came from: Spec (load.memoryEstimate), Measured (segment mem_size), Schema (rows x bytes per row x index factor).', [
      'Spec',
      'Measured',
      'Schema',
    ]),
    reason: str('Why it is in this state (CamelCase).', { maxLength: 128 }),
    message: str('Details for people, with what to do.', { maxLength: 1024 }),
    lastTransitionTime: timestamp('When `state` last changed.'),
    lastError: obj(
      'The last failed Milvus call for this collection. Cleared once the collection reaches the state the policy wants.',
      {
        action: enumOf('The call that failed.', ['Load', 'Release']),
        reason: str('Why it failed (CamelCase), e.g. IndexNotFound, InsufficientMemory.', { maxLength: 128 }),
        message: str('What Milvus said, and what to do.', { maxLength: 1024 }),
        class: enumOf(
          'Terminal: Milvus refused the request and will again until something changes; the operator retries on a spec change, a new `milvusload.io/retry` annotation value, or a slow recheck (1 min doubling to 30 min). Retryable: a passing failure; retried with per-collection exponential backoff (2 s doubling to 5 min, with jitter).',
          FAILURE_CLASSES,
        ),
        time: timestamp('When the call failed.'),
      },
      { required: ['action', 'reason', 'class'] },
    ),
    retries: int('Consecutive failed attempts since the collection was last as wanted.', { minimum: 0, maximum: 1_000_000 }),
    nextAttemptTime: timestamp('When the operator will try again, after a failure.'),
    ...usageStatusFields,
  },
  { required: ['name', 'state'] },
);

export const policyStatusSchema = obj('Observed state, rebuilt from Milvus on every reconcile.', {
  observedGeneration: int('The `.metadata.generation` this status describes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
  effectiveState: enumOf('`state` after schedule and suspend are applied.', LOAD_STATES),
  nextScheduleChange: timestamp('When the schedule next flips `effectiveState`; absent without a schedule.'),
  lastSyncTime: timestamp('When Milvus was last observed for this policy.'),
  loadedSummary: str('`loaded/matched`, for `kubectl get`.', { maxLength: 32 }),
  summary: obj('Counts of selected collections by state.', {
    matched: int('Collections selected.', { minimum: 0, maximum: 10_000_000 }),
    loaded: int('Loaded.', { minimum: 0, maximum: 10_000_000 }),
    loading: int('Loading.', { minimum: 0, maximum: 10_000_000 }),
    released: int('Released.', { minimum: 0, maximum: 10_000_000 }),
    notFound: int('Named but missing in Milvus.', { minimum: 0, maximum: 10_000_000 }),
    failed: int('Failed.', { minimum: 0, maximum: 10_000_000 }),
    deferred: int('Deferred by a budget.', { minimum: 0, maximum: 10_000_000 }),
    conflict: int('Owned by a higher-priority policy.', { minimum: 0, maximum: 10_000_000 }),
  }),
  collections: arr(
    'Per-collection detail, sorted with problems first, then by name; capped (see `collectionsOmitted`).',
    collectionStatusSchema,
    { maxItems: 100, listType: 'atomic' },
  ),
  collectionsOmitted: int('Selected collections not listed in `collections` because of the cap.', { minimum: 0, maximum: 10_000_000 }),
  refreshedValue: str('The last `milvusload.io/refresh` annotation value acted on.', { maxLength: 256 }),
  retriedValue: str('The last `milvusload.io/retry` annotation value acted on: a new value retries every failed collection of this policy at once.', { maxLength: 256 }),
  conditions: conditionsSchema,
},
  // A new object reads back as not yet observed (observedGeneration 0 < generation 1), so
  // kstatus (Flux `wait: true`) says InProgress until the operator has looked, not Current.
  { default: { observedGeneration: 0 } },
);

export type PolicySpec = Static<typeof policySpecSchema>;
export type PolicyStatus = Static<typeof policyStatusSchema>;
export type CollectionStatus = Static<typeof collectionStatusSchema>;
export type ScheduleSpec = Static<typeof scheduleSchema>;
export type WindowSpec = Static<typeof windowSchema>;
export type LoadSpec = Static<typeof loadSchema>;
export type MilvusSpec = Static<typeof milvusSchema>;
export type IdleSpec = Static<typeof idleSchema>;
export type PartitionSelectorSpec = Static<typeof partitionSelectorSchema>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  finalizers?: string[];
}

export interface CollectionLoadPolicy {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: PolicySpec;
  status?: PolicyStatus;
}
