// CollectionLoadBudget: the one definition of its spec and status.
import { conditionsSchema, positiveQuantity } from './common.ts';
import { MILVUS_URI } from './patterns.ts';
import type { ObjectMeta } from './policy.ts';
import { arr, enumOf, int, obj, str, type Static } from './schema.ts';
import { usageSourceSchema } from './usage-source.ts';

export const PREEMPTION = ['LowerPriority', 'Never'] as const;
export type Preemption = (typeof PREEMPTION)[number];

export const budgetSpecSchema = obj(
  'A memory cap for what the operator loads on one Milvus instance.',
  {
    milvusUri: str(
      'The Milvus instance this budget caps, matched to policies by normalized host and port (scheme, the default port 19530 and cluster DNS suffixes such as `.svc.cluster.local` do not matter).',
      { minLength: 8, maxLength: 512, pattern: MILVUS_URI, patternHint: 'http://host:port or https://host:port; host a DNS name, IPv4 address or [IPv6] address; port 1-65535' },
    ),
    memoryLimit: positiveQuantity(
      'Estimated query-node memory the operator may fill on this instance with the collections it loads, such as `64Gi`. Collections that do not fit are `Deferred`.',
      'spec.memoryLimit',
    ),
    preemption: enumOf(
      '`LowerPriority`: admitting a higher-priority collection may release loaded lower-priority ones, only as many as needed. `Never`: it waits for room.',
      PREEMPTION,
      'Never',
    ),
    usage: usageSourceSchema,
  },
  { required: ['milvusUri', 'memoryLimit'] },
);

const deferredSchema = obj('A collection that should be loaded but does not fit.', {
  policy: str('`namespace/name` of the policy that wants it.', { maxLength: 512 }),
  database: str('Milvus database.', { maxLength: 255 }),
  collection: str('Collection name.', { maxLength: 255 }),
  memoryBytes: int('Its estimated memory, in bytes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
  reason: str('Why, e.g. `OverBudget`.', { maxLength: 128 }),
});

export const budgetStatusSchema = obj('What the budget currently admits.', {
  observedGeneration: int('The `.metadata.generation` this status describes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
  used: str('Estimated memory of the admitted collections, as a quantity.', { maxLength: 32 }),
  usedBytes: int('The same, in bytes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
  limitBytes: int('`spec.memoryLimit` in bytes.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
  loadedCollections: int('Admitted collections (loaded or loading).', { minimum: 0, maximum: 10_000_000 }),
  deferredCount: int('Collections deferred for lack of room.', { minimum: 0, maximum: 10_000_000 }),
  deferred: arr('Deferred collections, highest priority first; capped at 50.', deferredSchema, { maxItems: 50, listType: 'atomic' }),
  conditions: conditionsSchema,
});

export type BudgetSpec = Static<typeof budgetSpecSchema>;
export type UsageSourceSpec = Static<typeof usageSourceSchema>;
export type BudgetStatus = Static<typeof budgetStatusSchema>;

export interface CollectionLoadBudget {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: BudgetSpec;
  status?: BudgetStatus;
}
