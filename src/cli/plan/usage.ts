// What plan can know about usage: it reads each instance's usage source once,
// through the operator's own UsageWatches, and says what a single reading
// tells. A proxies' /metrics source needs two readings to see a request (the
// first is the baseline), so in a plan its usage starts now and nothing is
// released or loaded for it; a Prometheus query looks back over a window.
import type { UsageView } from '../../controller/usage.ts';

/** The usage source of an instance as plan read it; absent when its budgets name none. */
export interface UsageSourceNote {
  readonly kind: 'MilvusMetrics' | 'Prometheus';
  /** Known: the reading succeeded. Else the reason nothing is released for idleness. */
  readonly reason?: string;
  /** What one reading tells, or what is wrong and what to do. */
  readonly message: string;
}

const ONE_READING: Readonly<Record<UsageSourceNote['kind'], string>> = {
  MilvusMetrics:
    "read once: the proxies' /metrics counters of a single reading are only a baseline (a request shows as a counter that grew between two readings), so this plan counts usage as starting now: nothing is released for idleness and nothing is loaded on use; `run` decides from its second reading on",
  Prometheus:
    'read once: the Prometheus query covers the last usage period plus a minute, so collections with requests in that window count as used now and the others as unused since its start (or their load, whichever is later)',
};

export function usageSourceNote(view: UsageView | undefined): UsageSourceNote | undefined {
  if (!view) return undefined;
  const kind = view.sourceKind;
  const general = view.sourceState();
  // The sources' messages already say that nothing is released for idleness, and what to do.
  if (general.state === 'Unknown') return { kind, reason: general.reason, message: general.message };
  return { kind, message: ONE_READING[kind] };
}
