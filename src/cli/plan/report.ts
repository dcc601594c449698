// The whole plan: every instance's view, counted, and whether it is complete.
import { iso } from '../../planner/time.ts';
import type { InstanceView } from './view.ts';

export interface PlanSummary {
  load: number;
  release: number;
  refresh: number;
  defer: number;
  conflict: number;
  problem: number;
  nothing: number;
}

export interface PlanReport {
  /** The instant planned for (RFC 3339). */
  readonly at: string;
  readonly source: 'files' | 'cluster';
  /** Set for -n: the namespace shown (the plan itself took every visible policy into account). */
  readonly namespace?: string;
  /** Listing every namespace was forbidden: policies of other namespaces were not seen. */
  readonly narrowed?: boolean;
  readonly instances: readonly InstanceView[];
  readonly summary: PlanSummary;
  /** Some load, release or refresh would be sent. */
  readonly changesPending: boolean;
  /** False when some policy could not be planned because Milvus, Kubernetes or a Secret could not be read. */
  readonly complete: boolean;
}

export function buildReport(instances: readonly InstanceView[], at: number, source: PlanReport['source'], scope?: { namespace: string; narrowed: boolean }): PlanReport {
  const summary: PlanSummary = { load: 0, release: 0, refresh: 0, defer: 0, conflict: 0, problem: 0, nothing: 0 };
  for (const i of instances) for (const c of i.changes) summary[c.op]++;
  const blocked = instances.flatMap((i) => i.policies).filter((p) => p.problem && p.problem.reason !== 'NothingSelected');
  summary.problem += blocked.length;
  // A live policy with an invalid spec is a fact of the cluster, planned as "the operator does nothing"; anything unread makes the plan incomplete.
  const complete = blocked.every((p) => p.problem?.reason === 'InvalidSpec');
  return {
    at: iso(at),
    source,
    ...(scope ? { namespace: scope.namespace, ...(scope.narrowed ? { narrowed: true } : {}) } : {}),
    instances,
    summary,
    changesPending: summary.load + summary.release + summary.refresh > 0,
    complete,
  };
}
