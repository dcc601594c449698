// Budget admission: which of the collections that should be loaded fit.
import type { CollectionLoadBudget } from '../api/budget.ts';
import { formatBytes, parseQuantity } from '../api/quantity.ts';
import type { Claimant } from './arbitrate.ts';
import type { Estimate } from './estimate.ts';
import { comparePolicies } from './rank.ts';

/**
 * Incumbents (already loaded or loading) may overrun the limit by this
 * fraction before they are released, so that an estimate that moves a little
 * (schema estimate replaced by the measured size, rows growing) never makes a
 * collection flap between loaded and released. Newcomers must fit under the
 * limit itself. See docs/budgets.md.
 */
export const INCUMBENT_SLACK = 0.05;

export interface BudgetCandidate {
  readonly key: string;
  readonly database: string;
  readonly collection: string;
  readonly winner: Claimant;
  readonly estimate: Estimate | undefined;
  /** Loaded or loading in Milvus now. */
  readonly incumbent: boolean;
  /** The winner is suspended/unmanaged: its loaded collection counts, nothing moves. */
  readonly frozen: boolean;
}

export interface Deferral {
  readonly reason: 'OverBudget' | 'NoEstimate';
  readonly message: string;
  readonly candidate: BudgetCandidate;
}

export interface Admission {
  readonly budget: CollectionLoadBudget;
  readonly limitBytes: number;
  readonly usedBytes: number;
  readonly admitted: ReadonlySet<string>;
  /** Deferred candidates, in rank order. */
  readonly deferred: ReadonlyMap<string, Deferral>;
}

export function compareCandidates(a: BudgetCandidate, b: BudgetCandidate): number {
  return comparePolicies(a.winner.policy, b.winner.policy) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export function admit(budget: CollectionLoadBudget, candidates: readonly BudgetCandidate[]): Admission {
  const limitBytes = parseQuantity(budget.spec.memoryLimit) ?? 0;
  const slackLimit = limitBytes * (1 + INCUMBENT_SLACK);
  const ranked = [...candidates].sort(compareCandidates);
  const admitted = new Set<string>();
  const deferred = new Map<string, Deferral>();
  let used = 0;
  // Frozen incumbents occupy memory the operator may not touch.
  for (const c of ranked) {
    if (c.frozen && c.incumbent) {
      admitted.add(c.key);
      used += c.estimate?.bytes ?? 0;
    }
  }
  const movable = ranked.filter((c) => !c.frozen);
  // With `Never`, incumbents keep their place whatever their rank; with
  // `LowerPriority`, rank alone decides, so a higher newcomer displaces them.
  const order = budget.spec.preemption === 'LowerPriority' ? movable : [...movable.filter((c) => c.incumbent), ...movable.filter((c) => !c.incumbent)];
  for (const c of order) {
    if (!c.estimate) {
      deferred.set(c.key, { candidate: c, reason: 'NoEstimate', message: `no memory estimate for ${c.collection} yet; set spec.load.memoryEstimate on ${c.winner.ref} to load it under budget ${budget.metadata.name}` });
      continue;
    }
    const cap = c.incumbent ? slackLimit : limitBytes;
    if (used + c.estimate.bytes <= cap) {
      admitted.add(c.key);
      used += c.estimate.bytes;
    } else {
      deferred.set(c.key, {
        candidate: c,
        reason: 'OverBudget',
        message: `needs ${formatBytes(c.estimate.bytes)} (${c.estimate.source.toLowerCase()} estimate) but budget ${budget.metadata.name} has ${formatBytes(Math.max(0, limitBytes - used))} of ${formatBytes(limitBytes)} left; raise spec.memoryLimit or the policy's priority`,
      });
    }
  }
  return { budget, limitBytes, usedBytes: used, admitted, deferred };
}

/** With several budgets for one instance, the oldest applies; the others are reported as duplicates. */
export function effectiveBudget(budgets: readonly CollectionLoadBudget[]): CollectionLoadBudget | undefined {
  return [...budgets].sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    return ta - tb || (a.metadata.name < b.metadata.name ? -1 : 1);
  })[0];
}
