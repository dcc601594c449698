// Observe and plan every instance with the very pass `run` executes, a cell
// at a time (controller/pass.ts: resolve, observe, probe, plan), its acting and
// reporting left out; the Milvus port is wrapped so that a load or release throws.
import type { CollectionLoadBudget } from '../../api/budget.ts';
import type { CollectionLoadPolicy } from '../../api/policy.ts';
import { ConnectionPool, type PortFactory } from '../../controller/connections.ts';
import { EstimateCache } from '../../controller/observe.ts';
import { instanceOf, observeAndPlanCells } from '../../controller/pass.ts';
import { PassMemory } from '../../controller/pass-memory.ts';
import { UsageWatches, type UsageReaderFactory } from '../../controller/usage.ts';
import type { MilvusPort } from '../../milvus/port.ts';
import type { ObservationKey, ObservedDatabase, Plan, PolicyInput } from '../../planner/types.ts';
import type { PolicySet } from './inputs.ts';
import type { Resolver } from './resolvers.ts';
import { usageSourceNote, type UsageSourceNote } from './usage.ts';

/** A port that refuses to change anything: plan must never load or release, whatever a bug elsewhere does. */
export function readOnly(port: MilvusPort): MilvusPort {
  const refuse = (what: string) => (): Promise<never> => Promise.reject(new Error(`plan never calls ${what}: this is a bug in milvus-load-operator plan`));
  return { ...port, load: refuse('load'), release: refuse('release'), close: () => port.close() };
}

export interface InstancePlan {
  readonly instance: string;
  readonly inputs: readonly PolicyInput[];
  readonly budgets: readonly CollectionLoadBudget[];
  readonly observed: ReadonlyMap<ObservationKey, ObservedDatabase>;
  readonly plan: Plan;
  /** The instance's usage source, read once; absent when its budgets name none. */
  readonly usage?: UsageSourceNote;
}

/**
 * Observes Milvus (read-only) and plans, per instance. Usage is read once
 * through the operator's own UsageWatches, on the plan's clock: a reading
 * taken now says nothing of a later --at (it is stale there).
 */
export async function planInstances(src: PolicySet, resolve: Resolver, factory: PortFactory, now: number, usageReaders?: UsageReaderFactory): Promise<InstancePlan[]> {
  const byInstance = new Map<string, { policies: CollectionLoadPolicy[]; budgets: CollectionLoadBudget[] }>();
  const bucket = (key: string): { policies: CollectionLoadPolicy[]; budgets: CollectionLoadBudget[] } => {
    let b = byInstance.get(key);
    if (!b) byInstance.set(key, (b = { policies: [], budgets: [] }));
    return b;
  };
  for (const p of src.policies) bucket(instanceOf(p.spec.milvus.uri)).policies.push(p);
  for (const b of src.budgets) bucket(instanceOf(b.spec.milvusUri)).budgets.push(b);
  const pool = new ConnectionPool((settings) => readOnly(factory(settings)));
  const shared = { resolve, pool, memory: new PassMemory(), cache: new EstimateCache() };
  const watches = new UsageWatches(() => now, usageReaders);
  try {
    // Instances in parallel: one that does not answer costs its timeout once, not once per instance.
    const sorted = [...byInstance.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return await Promise.all(
      sorted.map(async ([instance, { policies, budgets }]): Promise<InstancePlan> => {
        const usage = await watches.observe(instance, budgets);
        const r = await observeAndPlanCells(shared, { instance, policies, budgets, now, ...(usage ? { usage } : {}) });
        const note = usageSourceNote(usage);
        return { instance, inputs: r.ins.inputs, budgets, observed: r.observed, plan: r.plan, ...(note ? { usage: note } : {}) };
      }),
    );
  } finally {
    await pool.closeAll();
  }
}
