// What a pass reports of its plan once its cells are done: the actions, and
// the counts the gauges show. Each cell keeps this and lets go of its
// inputs, observations and drafts as soon as it is done; holding those for
// the whole pass cost tens of MB at 10,000 policies (a heap snapshot of a
// whole pass over 100 cells: about 40 MB still held when the pass ended).
import type { CollectionState } from '../api/policy.ts';
import { isReady } from '../planner/status.ts';
import type { Action, BudgetDraft, Plan } from '../planner/types.ts';

export interface PlanSummary {
  /** `namespace/name` of each policy planned. */
  readonly policies: readonly string[];
  /** Policies Ready, and not. */
  readonly ready: number;
  readonly notReady: number;
  /** Selected collections by state, over every policy planned. */
  readonly collections: ReadonlyMap<CollectionState, number>;
  readonly actions: readonly Action[];
  readonly budgets: readonly BudgetDraft[];
}

export function summarize(p: Plan): PlanSummary {
  const collections = new Map<CollectionState, number>();
  let ready = 0;
  for (const d of p.policies) {
    for (const e of d.entries ?? []) collections.set(e.state, (collections.get(e.state) ?? 0) + 1);
    if (isReady(d)) ready++;
  }
  return { policies: p.policies.map((d) => d.ref), ready, notReady: p.policies.length - ready, collections, actions: p.actions, budgets: p.budgets };
}

/** Several cells' summaries as one (cells share no policy or budget). */
export function mergeSummaries(parts: readonly PlanSummary[]): PlanSummary {
  const collections = new Map<CollectionState, number>();
  for (const s of parts) for (const [state, n] of s.collections) collections.set(state, (collections.get(state) ?? 0) + n);
  const sum = (f: (s: PlanSummary) => number): number => parts.reduce((n, s) => n + f(s), 0);
  return {
    policies: parts.flatMap((s) => s.policies),
    ready: sum((s) => s.ready),
    notReady: sum((s) => s.notReady),
    collections,
    actions: parts.flatMap((s) => s.actions),
    budgets: parts.flatMap((s) => s.budgets),
  };
}
