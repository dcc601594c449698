// Builders for planner tests (also used by the controller's unit tests).
import type { CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionLoadPolicy, PolicySpec, PolicyStatus } from '../api/policy.ts';
import { validateBudget, validatePolicy } from '../api/resources.ts';
import { type Action, type MilvusAction, type ObservedCollection, type ObservedDatabase, type PlanInput, type PolicyInput, observationKeyOf, type ObservationKey } from './types.ts';

export const T0 = Date.parse('2026-11-23T10:00:00Z');

export interface PolicyOpts {
  name: string;
  namespace?: string;
  spec?: Partial<PolicySpec> & Record<string, unknown>;
  created?: number;
  status?: PolicyStatus;
  annotations?: Record<string, string>;
  deleting?: number;
  finalizers?: string[];
  generation?: number;
}

/** A validated, defaulted policy; throws if the spec is invalid (tests must build valid ones). */
export function policy(o: PolicyOpts): CollectionLoadPolicy {
  const raw = {
    apiVersion: 'milvusload.io/v1alpha1',
    kind: 'CollectionLoadPolicy',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'team',
      generation: o.generation ?? 1,
      creationTimestamp: new Date(o.created ?? T0 - 3_600_000).toISOString(),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deleting !== undefined ? { deletionTimestamp: new Date(o.deleting).toISOString() } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: { milvus: { uri: 'http://milvus:19530' }, selector: { names: ['c1'] }, ...o.spec },
  };
  const r = validatePolicy(raw);
  if (!r.ok) throw new Error(`test policy ${o.name} is invalid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return o.status ? { ...r.object, status: o.status } : r.object;
}

export function budget(name: string, memoryLimit: string, preemption: 'Never' | 'LowerPriority' = 'Never', created = T0 - 7_200_000): CollectionLoadBudget {
  const r = validateBudget({
    apiVersion: 'milvusload.io/v1alpha1',
    kind: 'CollectionLoadBudget',
    metadata: { name, generation: 1, creationTimestamp: new Date(created).toISOString() },
    spec: { milvusUri: 'http://milvus:19530', memoryLimit, preemption },
  });
  if (!r.ok) throw new Error(`test budget ${name} is invalid`);
  return r.object;
}

export function coll(name: string, loadState: ObservedCollection['loadState'] = 'NotLoad', extra: Partial<ObservedCollection> = {}): ObservedCollection {
  return { name, loadState, progress: loadState === 'Loaded' ? 100 : 0, ...extra };
}

export function db(...collections: ObservedCollection[]): ObservedDatabase {
  return { ok: true, collections: new Map(collections.map((c) => [c.name, c])) };
}

export const observationKey = (database = 'default'): ObservationKey => observationKeyOf('anonymous', database);

export function input(policies: (CollectionLoadPolicy | PolicyInput)[], observed: Record<string, ObservedDatabase>, extra: Partial<PlanInput> = {}): PlanInput {
  return {
    instance: 'milvus:19530',
    policies: policies.map((p) => ('policy' in p ? p : { policy: p, problems: [], observationKey: observationKey(p.spec.milvus.database) })),
    budgets: [],
    observed: new Map(Object.entries(observed).map(([k, v]) => [observationKey(k), v])),
    now: T0,
    ...extra,
  };
}

export function milvusActions(actions: readonly Action[]): MilvusAction[] {
  return actions.filter((a): a is MilvusAction => a.kind === 'load' || a.kind === 'release');
}

export function describeActions(actions: readonly Action[]): string[] {
  return actions
    .map((a) => (a.kind === 'load' || a.kind === 'release' ? `${a.kind} ${a.database}/${a.collection}${a.partitions ? `[${a.partitions.join(',')}]` : ''}${a.kind === 'load' && a.refresh ? ' refresh' : ''}` : `${a.kind} ${a.policy}`))
    .sort();
}
