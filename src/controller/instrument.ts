// Metrics for the controller: a Milvus port decorator that counts and times
// every call, and the gauges refreshed from each reconcile's plan.
import { COLLECTION_STATES } from '../api/policy.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { MilvusError } from '../milvus/errors.ts';
import type { MilvusPort } from '../milvus/port.ts';
import type { PortFactory } from './connections.ts';
import type { PlanSummary } from './plan-summary.ts';

type Method = Exclude<keyof MilvusPort, 'close'>;
const METHODS: readonly Method[] = ['listCollections', 'listLoaded', 'loadProgress', 'listPartitions', 'describe', 'rowCount', 'segmentMemory', 'replicas', 'load', 'release'];

export function outcomeOf(e: unknown): string {
  return e instanceof MilvusError ? e.reason : 'Unclassified';
}

/** Wraps a port so every call is counted by method and outcome, and timed. */
export function instrumentPort(port: MilvusPort, m: OperatorMetrics): MilvusPort {
  const wrapped: Record<string, unknown> = { close: () => port.close() };
  for (const method of METHODS) {
    wrapped[method] = async (...args: unknown[]): Promise<unknown> => {
      const t0 = performance.now();
      try {
        const r = await (port[method] as (...a: unknown[]) => Promise<unknown>).apply(port, args);
        m.milvusRequests.inc({ method, outcome: 'ok' });
        return r;
      } catch (e: unknown) {
        m.milvusRequests.inc({ method, outcome: outcomeOf(e) });
        throw e;
      } finally {
        m.milvusRequestDuration.observe({ method }, (performance.now() - t0) / 1000);
      }
    };
  }
  return wrapped as unknown as MilvusPort;
}

export function instrumentFactory(factory: PortFactory, m: OperatorMetrics | undefined): PortFactory {
  return m ? (settings) => instrumentPort(factory(settings), m) : factory;
}

/** Replaces one instance's gauges with what this pass's plan reports. */
export function recordPlanGauges(m: OperatorMetrics, instance: string, p: PlanSummary): void {
  // Every state, zeros included, so a state that empties drops to 0 instead of keeping its last count.
  for (const state of COLLECTION_STATES) m.collections.set({ milvus: instance, state }, p.collections.get(state) ?? 0);
  m.policies.set({ milvus: instance, ready: 'true' }, p.ready);
  m.policies.set({ milvus: instance, ready: 'false' }, p.notReady);
  for (const b of p.budgets) {
    if (!b.status) continue;
    m.budgetUsed.set({ budget: b.name }, b.status.usedBytes ?? 0);
    m.budgetLimit.set({ budget: b.name }, b.status.limitBytes ?? 0);
  }
}
