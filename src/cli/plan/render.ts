// plan's text output. Names and messages come from Milvus and manifests: every
// line is escaped, so they cannot drive the terminal.
import { safeMessage } from '../../api/display.ts';
import { formatBytes } from '../../api/quantity.ts';
import type { PlanReport, PlanSummary } from './report.ts';
import type { BudgetView, ChangeOp, InstanceView, PlannedChange } from './view.ts';

const SYMBOL: Readonly<Record<ChangeOp, string>> = { load: '+', release: '-', refresh: '~', defer: '!', conflict: 'x', problem: '?', nothing: '=' };
const COLOR: Readonly<Record<ChangeOp, string>> = { load: '32', release: '31', refresh: '33', defer: '33', conflict: '35', problem: '31', nothing: '2' };

export interface RenderOptions {
  readonly color: boolean;
  readonly verbose: boolean;
}

function paint(on: boolean, code: string, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** Memory as people read it: 41Gi, 1.5Mi, 600B. */
const human = (n: number): string => `${formatBytes(n)}${n > 0 && n < 1024 ? 'B' : ''}`;

function renderBudget(b: BudgetView, o: RenderOptions): string[] {
  const head = `  budget ${b.name}${b.preemption ? ` (preemption ${b.preemption})` : ''}`;
  if ('note' in b) return [`${head}: ${b.note}`];
  const row = (label: string, bytes: number, rest: string): string => `    ${label.padEnd(18)}${human(bytes).padStart(8)}  ${rest}`.trimEnd();
  const lines = [
    `${head}: limit ${human(b.limitBytes)}`,
    row('loaded now', b.loadedNowBytes, 'estimated, of the selected collections'),
    row('+ requested', b.requestedBytes, plural(b.requestedCount, 'new load')),
    row('- released', b.releasedBytes, plural(b.releasedCount, 'release')),
    row('= admitted', b.admittedBytes, `of ${human(b.limitBytes)}; ${human(b.freeBytes)} left`),
  ];
  const fit = b.deferredCount === 1 ? 'does not fit' : 'do not fit';
  if (b.deferredCount > 0) lines.push(paint(o.color, COLOR.defer, row('! deferred', b.deferredBytes, `${plural(b.deferredCount, 'collection')} ${fit}`)));
  return lines;
}

/**
 * Lines about policies rather than collections: with -v, those that need
 * nothing; always, each distinct problem once with the policies it blocks
 * (an unreachable Milvus is one fact, however many policies it blocks).
 */
function policyLines(i: InstanceView, o: RenderOptions): string[] {
  const lines: string[] = [];
  const problems = new Map<string, string[]>();
  for (const p of i.policies) {
    if (p.problem) {
      const key = `${p.problem.reason}: ${p.problem.message}`;
      problems.set(key, [...(problems.get(key) ?? []), p.policy]);
    } else if (o.verbose) {
      const when = p.nextScheduleChange ? `, until ${p.nextScheduleChange}` : '';
      lines.push(paint(o.color, COLOR.nothing, safeMessage(`  = ${p.policy}: wants ${p.effectiveState}${when}${p.frozen ? `; ${p.frozen}` : ''}`)));
    }
  }
  for (const [problem, refs] of problems) {
    const who = refs.length === 1 ? refs[0] : `${refs.length} policies (${refs.join(', ')})`;
    lines.push(paint(o.color, COLOR.problem, safeMessage(`  ? ${who}: ${problem}`)));
  }
  return lines;
}

const target = (c: PlannedChange): string => `${c.database}/${c.collection}${c.partitions ? ` [${c.partitions.join(',')}]` : ''}`;

/** One aligned line per change. */
function changeLines(shown: readonly PlannedChange[], o: RenderOptions): string[] {
  const wTarget = Math.max(0, ...shown.map((c) => target(c).length));
  const wPolicy = Math.max(0, ...shown.map((c) => c.policy.length));
  return shown.map((c) => {
    const mem = c.memoryBytes !== undefined && (c.op === 'load' || c.op === 'defer') ? ` [est. ${human(c.memoryBytes)}]` : '';
    const text = `  ${SYMBOL[c.op]} ${c.op.padEnd(8)} ${target(c).padEnd(wTarget)}  ${c.policy.padEnd(wPolicy)}  ${c.reason}: ${c.message}${mem}`;
    return paint(o.color, COLOR[c.op], safeMessage(text));
  });
}

/**
 * Usage, for policies with `spec.idle`: what the source's single reading
 * tells, and each policy that cannot see its collections' requests (so
 * nothing of it is released for idleness).
 */
function usageLines(i: InstanceView, o: RenderOptions): string[] {
  const idle = i.policies.filter((p) => p.usage);
  if (idle.length === 0) return [];
  const lines: string[] = [];
  if (i.usage) lines.push(safeMessage(`  usage (${i.usage.kind}): ${i.usage.reason ? `unknown, ${i.usage.reason}: ` : ''}${i.usage.message}`));
  for (const p of idle) {
    if (p.usage && !p.usage.known && p.usage.reason !== i.usage?.reason) lines.push(paint(o.color, COLOR.defer, safeMessage(`  ! ${p.policy}: usage unknown, ${p.usage.reason}: ${p.usage.message}`)));
  }
  return lines;
}

function renderInstance(i: InstanceView, o: RenderOptions): string[] {
  const shown = i.changes.filter((c) => o.verbose || c.op !== 'nothing');
  const lines = [paint(o.color, '1', `Milvus ${i.instance}`), ...policyLines(i, o), ...usageLines(i, o), ...changeLines(shown, o)];
  if (shown.length === 0 && i.policies.every((p) => !p.problem)) lines.push('  no changes');
  for (const b of i.budgets) lines.push(...renderBudget(b, o));
  return lines;
}

export function summaryLine(s: PlanSummary): string {
  const refresh = s.refresh > 0 ? `, ${s.refresh} to refresh` : '';
  return `Plan: ${s.load} to load${refresh}, ${s.release} to release, ${s.defer} deferred, ${plural(s.conflict, 'conflict')}.`;
}

export function renderText(r: PlanReport, o: RenderOptions): string {
  const from = r.source === 'files' ? 'the manifests given' : r.namespace ? `namespace ${r.namespace} of the cluster` : 'the cluster';
  const lines = [`Plan at ${r.at} for the policies in ${from}; nothing is changed.`, ''];
  if (r.narrowed) lines.push(`Note: listing policies of every namespace is forbidden, so conflicts with and budget use by other namespaces are not in this plan.`, '');
  if (r.instances.length === 0) lines.push(`No CollectionLoadPolicy or CollectionLoadBudget found in ${from}.`, '');
  for (const i of r.instances) lines.push(...renderInstance(i, o), '');
  if (!r.changesPending && r.complete) lines.push('No changes: Milvus is as the policies want it.');
  lines.push(paint(o.color, '1', summaryLine(r.summary)));
  if (!r.complete) lines.push(paint(o.color, COLOR.problem, `Incomplete: ${plural(r.summary.problem, 'line')} marked ? could not be planned; see the reasons above.`));
  return `${lines.join('\n')}\n`;
}
