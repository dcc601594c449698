// The report's rows on usage-aware memory (issue 18): what spec.idle and a
// budget's proxy /metrics source cost in steady state, next to the same
// layout without them (the steady-state scenario) when that ran at the same size.
import type { BenchResults } from './bench.ts';
import { kv, met } from './report-format.ts';
import type { SteadyResult } from './scenarios.ts';
import type { UsageResult } from './usage.ts';

/** The steady-state figures of the same layout without spec.idle, when they were measured at the same size. */
function without(r: BenchResults, u: UsageResult): SteadyResult | undefined {
  const s = r['steady-state'];
  return s && s.policies === u.policies && s.resyncSeconds === u.resyncSeconds ? s : undefined;
}

/** Whether usage awareness met its cost target: one scrape per endpoint per period (± a reading at the window's edge), no status writes, the usage shown. */
export function usageMet(u: UsageResult): boolean {
  const periods = (u.steady.windowSeconds / u.usagePeriodSeconds) * u.proxies;
  return u.scrapes.total <= Math.ceil(periods) + u.proxies && u.steady.statusWrites === 0 && u.collectionsWithLastUsed === u.collections;
}

export function usageTarget(r: BenchResults): string[] {
  const u = r.usage;
  const base = u ? without(r, u) : undefined;
  return [
    `steady state with usage-aware memory${u ? ` (${u.policies.toLocaleString('en')} policies with spec.idle, ${u.proxies} proxy /metrics endpoints, usage period ${u.usagePeriodSeconds} s)` : ''}`,
    '1 scrape per endpoint per usage period, not per pass; 0 status writes (lastUsedTime coarse)',
    u
      ? `${u.scrapes.perEndpointPerPeriod} scrapes per endpoint per period (${u.scrapes.total} in ${u.steady.windowSeconds} s, ${u.steady.passes} passes); ${u.steady.statusWrites} status writes; Milvus RPCs ${u.steady.rpcsPerResync} per resync${base ? ` vs ${base.rpcsPerResync} without spec.idle` : ''}; RSS ${u.steady.rssNowMiB} MiB${base ? ` vs ${base.rssNowMiB} MiB` : ''}`
      : '—',
    met(u ? usageMet(u) : undefined),
  ];
}

export function usageDetails(r: BenchResults): string[] {
  const u = r.usage;
  if (!u) return [];
  const s = u.steady;
  const base = without(r, u);
  const unknown = Object.keys(u.usageUnknown).length === 0 ? 'none' : kv(u.usageUnknown);
  return [
    `### Usage-aware memory: cost (${u.policies.toLocaleString('en')} policies, ${u.collections.toLocaleString('en')} collections, --resync ${u.resyncSeconds}s)

Every policy of the layout above with \`spec.idle: {releaseAfter: ${u.idle.releaseAfter}, overrideLoaded: ${String(u.idle.overrideLoaded)}}\` (nothing becomes idle during the run) and one budget with \`spec.usage.milvusMetrics\` naming the simulator's ${u.proxies} proxy \`/metrics\` endpoints, \`period: ${u.usagePeriodSeconds}s\`. The bench records a search on every selected collection every ${u.trafficEveryMs / 1000} s throughout (straight into the proxies' counters, no RPC), so usage is known for every collection and lastUsedTime would move at every reading if it were not coarse. Scrapes are counted by HTTP servers of the bench in front of the simulator's endpoints.

- Window: ${s.windowSeconds} s = ${s.resyncPeriods} resync periods, ${(s.windowSeconds / u.usagePeriodSeconds).toFixed(1)} usage periods, **${s.passes} reconcile passes**.
- Scrapes: **${u.scrapes.total}** (${u.scrapes.perEndpoint.join(' + ')} per endpoint) → ${u.scrapes.perEndpointPerPeriod} per endpoint per usage period, ${u.scrapes.perResync} per resync. One proxy served ${(u.expositionBytes / 1024).toFixed(0)} KiB per scrape.
- Milvus RPCs: ${kv(s.rpcs)} → **${s.rpcsPerResync} per resync**, ${s.rpcsPerPass} per pass; load/release: ${s.mutatingRpcs}.${base ? ` The same layout without spec.idle and without a budget (steady state above): ${kv(base.rpcs)} → ${base.rpcsPerResync} per resync, ${base.rpcsPerPass} per pass, ${base.passes} passes in ${base.resyncPeriods} resyncs.` : ' (The steady state without spec.idle was not measured at this size in these results.)'}
- Policy status PATCHes: **${s.statusWrites}**; status changes seen by the watch other than lastSyncTime: ${u.statusChangesInWindow}; budget status PATCHes: ${u.budgetStatusWrites}; all apiserver writes: ${Object.keys(s.apiserverWrites).length === 0 ? 'none' : kv(s.apiserverWrites)}.
- After the window, ${u.collectionsWithLastUsed.toLocaleString('en')} of ${u.collections.toLocaleString('en')} collection statuses show lastUsedTime; usage unknown: ${unknown}.
- Cold start with the budget and usage source: ${u.cold.operatorSeconds} s operator time, ${u.cold.rpcTotal.toLocaleString('en')} RPCs, ${u.cold.statusWrites.toLocaleString('en')} status writes, peak RSS ${u.cold.peakRssMiB} MiB.
- Operator RSS in steady state ${s.rssNowMiB} MiB, peak ${s.peakRssMiB} MiB${base ? ` (without spec.idle: ${base.rssNowMiB} MiB, peak ${base.peakRssMiB} MiB)` : ''}.`,
  ];
}
