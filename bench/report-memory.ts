// The memory part of the report: the floor (baseline scenario) against the
// targets of DESIGN §4, the Secret GETs per pass, and the memory time-series
// chart of every scenario that ran the operator.
import type { BaselineCase, BaselineResult } from './baseline.ts';
import type { BenchResults } from './bench.ts';
import { memoryChartSvg, type MemoryPanel } from './memory-chart.ts';
import type { MemorySeries } from './memory-series.ts';
import { by, met } from './report-format.ts';

/** DESIGN §4: RSS with 10 policies on one instance, and the cost of each further Milvus instance. */
export const FLOOR_MIB = 140;
export const PER_INSTANCE_MIB = 10;

/** The one-instance case with as many policies as the several-instance cases start from (10 in the full bench). */
const one = (cases: readonly BaselineCase[], policies: number): BaselineCase | undefined => cases.find((c) => c.instances === 1 && c.policies === policies);

/** (RSS with n instances - RSS with one) / (n - 1), after the resyncs, for every n > 1 measured. */
export function perInstanceMiB(b: BaselineResult): { instances: number; policies: number; miB: number }[] {
  const cases = b.cases;
  const base = one(cases, b.policiesAcrossInstances);
  if (!base) return [];
  return cases.filter((c) => c.instances > 1).map((c) => ({ instances: c.instances, policies: c.policies, miB: Math.round(((c.rssAfterResyncsMiB - base.rssAfterResyncsMiB) / (c.instances - 1)) * 10) / 10 }));
}

export function floorTargets(r: BenchResults): string[][] {
  const b = r.baseline;
  const base = b && one(b.cases, b.policiesAcrossInstances);
  const rows: string[][] = [];
  rows.push([
    `operator memory, ${b?.policiesAcrossInstances ?? 10} policies on one instance`,
    `RSS ≤ ${FLOOR_MIB} MiB`,
    base ? `${base.rssAfterResyncsMiB} MiB after ${base.resyncs} resyncs${by(base.rssAfterResyncsMiB, FLOOR_MIB)}; ${base.rssAfterStartMiB} MiB after start; peak ${base.peakRssMiB} MiB` : '—',
    met(base ? base.rssAfterResyncsMiB <= FLOOR_MIB && base.rssAfterStartMiB <= FLOOR_MIB : undefined),
  ]);
  const per = b ? perInstanceMiB(b) : [];
  rows.push([
    'operator memory per further Milvus instance',
    `≤ ${PER_INSTANCE_MIB} MiB`,
    per.length > 0 ? per.map((p) => `${p.miB} MiB each over ${p.instances} instances (${p.policies} policies)${by(p.miB, PER_INSTANCE_MIB)}`).join('; ') : '—',
    met(per.length > 0 ? per.every((p) => p.miB <= PER_INSTANCE_MIB) : undefined),
  ]);
  return rows;
}

export function secretsTarget(r: BenchResults): string[] {
  const s = r.secrets?.steady;
  return [
    `steady state: apiserver GETs of Secrets${s ? ` (${s.policies.toLocaleString('en')} policies sharing ${s.distinctSecrets} Secrets)` : ''}`,
    '≤ 1 per distinct Secret per resync',
    s ? `${s.secretGetsPerPass} per pass (${s.secretGets.toLocaleString('en')} in ${s.passes} passes)${by(s.secretGetsPerPass, s.distinctSecrets)}` : '—',
    met(s ? s.secretGetsPerPass <= s.distinctSecrets : undefined),
  ];
}

export function baselineTable(r: BenchResults): string {
  const b = r.baseline;
  if (!b) return '_The memory floor (`--scenario baseline`) was not measured._';
  const head = `The memory floor (\`--scenario baseline\`, --resync ${b.resyncSeconds}s): each policy selects 10 collections of its own, all to be loaded; with several instances, one simulator server per instance and the policies spread round robin (at least one per instance). "After start": caches synced and every status correct. Targets: ${FLOOR_MIB} MiB with 10 policies on one instance, ${PER_INSTANCE_MIB} MiB per further instance.

| policies | Milvus instances | start (s) | RSS after start (MiB) | heap used after start (MiB) | RSS after resyncs (MiB) | heap used after resyncs (MiB) | peak RSS (MiB) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`;
  const rows = b.cases.map((c) => `| ${c.policies} | ${c.instances} | ${c.startSeconds} | ${c.rssAfterStartMiB} | ${c.heapUsedAfterStartMiB} | ${c.rssAfterResyncsMiB} (${c.resyncs} resyncs) | ${c.heapUsedAfterResyncsMiB} | ${c.peakRssMiB} |`);
  return `${head}\n${rows.join('\n')}`;
}

/** The panels worth drawing, in the order a reader meets the scenarios. */
export function memoryPanels(r: BenchResults): MemoryPanel[] {
  const panels: MemoryPanel[] = [];
  const add = (title: string, series: MemorySeries | undefined, reference?: MemoryPanel['reference']): void => {
    if (series && series.samples.length > 0) panels.push({ title, series, ...(reference ? { reference } : {}) });
  };
  const cases = r.baseline?.cases ?? [];
  const base = r.baseline && one(cases, r.baseline.policiesAcrossInstances);
  add(`Floor: ${base?.policies ?? 10} policies, 1 instance`, base?.memory, { y: FLOOR_MIB, label: `target ${FLOOR_MIB} MiB` });
  const most = [...cases].sort((a, b) => b.instances - a.instances)[0];
  if (most && most.instances > 1) add(`Floor: ${most.policies} policies, ${most.instances} instances`, most.memory);
  const c = r['cold-start'];
  if (c) add(`Cold start, ${c.policies.toLocaleString('en')} policies`, c.memory);
  const s = r['steady-state'];
  if (s) add(`Steady state, ${s.policies.toLocaleString('en')} policies`, s.memory);
  const l = r.latency;
  if (l) add(`${l.applies} applies, ${l.policies.toLocaleString('en')} policies`, l.memory);
  const g = [...(r.growth?.points ?? [])].sort((a, b) => b.policies - a.policies)[0];
  if (g && g.policies !== c?.policies) add(`Cold start, ${g.policies.toLocaleString('en')} policies`, g.memory);
  return panels;
}

export function memorySvg(r: BenchResults): string | undefined {
  const panels = memoryPanels(r);
  if (panels.length === 0) return undefined;
  return memoryChartSvg(panels, 'operator memory per scenario: process.memoryUsage() every 200 ms (npm run bench)');
}

const seriesLine = (what: string, m: MemorySeries | undefined): string | undefined =>
  m && m.rawSamples > 0
    ? `- ${what}: max RSS ${m.maxRssMiB} MiB, heap used ${m.maxHeapUsedMiB} MiB, external ${m.maxExternalMiB} MiB, array buffers ${m.maxArrayBuffersMiB} MiB; ${m.rawSamples} samples, median interval ${m.medianIntervalMs} ms, longest gap ${m.maxGapMs} ms (the event loop was busy).`
    : undefined;

export function memoryDetails(r: BenchResults): string[] {
  const out: string[] = [];
  const lines = [
    seriesLine('Cold start', r['cold-start']?.memory),
    seriesLine('Steady state', r['steady-state']?.memory),
    seriesLine('Applies', r.latency?.memory),
    ...(r.baseline?.cases ?? []).map((c) => seriesLine(`Floor, ${c.policies} policies on ${c.instances} instance(s)`, c.memory)),
  ].filter((l): l is string => l !== undefined);
  if (lines.length > 0) out.push(`### Memory over time (bench/results/*.json, \`memory\`)\n\n${lines.join('\n')}`);
  const s = r.secrets;
  if (s) {
    out.push(`### Secrets (${s.steady.policies.toLocaleString('en')} policies sharing ${s.steady.distinctSecrets} credentials Secrets, --resync ${s.steady.resyncSeconds}s)

- apiserver GETs of Secrets (its own \`apiserver_request_total{resource="secrets",verb="GET"}\`) between two pass starts: **${s.steady.secretGets.toLocaleString('en')} in ${s.steady.passes} passes = ${s.steady.secretGetsPerPass} per pass** (target ≤ ${s.steady.distinctSecrets}).
- Cold start of that layout: ${s.cold.operatorSeconds} s operator time, peak RSS ${s.cold.peakRssMiB} MiB (one Milvus client per credentials, so ${s.steady.distinctSecrets} clients to one instance).`);
  }
  return out;
}
