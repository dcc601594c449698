// One pass's read-only half, shared by `run` and `plan` so that the two cannot
// drift: validate and resolve every policy of an instance, observe Milvus
// once per (credentials, database), ask Milvus why it gave up any load we saw
// in flight, and plan. `run` then acts and reports; `plan` prints.
import type { CollectionLoadBudget } from '../api/budget.ts';
import { instanceKey } from '../api/instance.ts';
import type { CollectionLoadPolicy, CollectionStatus } from '../api/policy.ts';
import { ADVICE, MilvusError } from '../milvus/errors.ts';
import { DEFAULT_DELETION_GRACE_MS, plan } from '../planner/plan.ts';
import type { MilvusPort } from '../milvus/port.ts';
import type { ObservationFailure, ObservationKey, ObservedCollection, ObservedDatabase, Plan, PolicyInput } from '../planner/types.ts';
import { cellsOf } from './cells.ts';
import { resolveInputs, type InputSources, type Inputs, type ObservationGroup } from './inputs.ts';
import { mapLimit } from './map-limit.ts';
import { type EstimateCache, needsFor, observeDatabase } from './observe.ts';
import { usageInput, type UsageView } from './usage.ts';

/** The queue key of policies whose `spec.milvus.uri` cannot be parsed: they still get a status. */
export const UNPARSABLE_URI = '(unparsable spec.milvus.uri)';

/** The instance a policy belongs to, as the queue keys it. */
export const instanceOf = (uri: string | undefined): string => (uri ? instanceKey(uri) : undefined) ?? UNPARSABLE_URI;

/** Each informer object's instance, parsed once (a pass filters every policy by it). */
const instanceOfObject = new WeakMap<CollectionLoadPolicy, string>();

/** The instance a policy belongs to; the same as `instanceOf(policy.spec.milvus.uri)`. */
export function instanceOfPolicy(policy: CollectionLoadPolicy): string {
  let key = instanceOfObject.get(policy);
  if (key === undefined) instanceOfObject.set(policy, (key = instanceOf(policy.spec.milvus.uri)));
  return key;
}

/** Databases observed at once, per instance. */
const OBSERVE_CONCURRENCY = 4;

export interface PassSources extends Omit<InputSources, 'unparsable'> {
  readonly cache: EstimateCache;
  readonly deletionGraceMs?: number;
}

export interface PassScope {
  readonly instance: string;
  readonly policies: readonly CollectionLoadPolicy[];
  readonly budgets: readonly CollectionLoadBudget[];
  readonly now: number;
  /** What the instance's usage source says; absent when its budgets name none. */
  readonly usage?: UsageView;
  /**
   * Shared by the cells of one pass: per credentials, the failure of a
   * Milvus that did not answer. Later cells report it without calling again,
   * so a Milvus that times out costs one timeout per pass, not one per database.
   */
  readonly unanswered?: Map<string, ObservationFailure>;
}

export interface Planned {
  readonly ins: Inputs;
  readonly observed: ReadonlyMap<ObservationKey, ObservedDatabase>;
  readonly plan: Plan;
}

/**
 * A collection we recorded as Loading (or timed out) that Milvus now shows
 * as not loaded may have been given up by Milvus (out of memory, its own
 * load timeout). Milvus replays the reason on GetLoadingProgress: ask, once
 * per such collection. Returns the observation with those reasons added.
 */
/** The reason Milvus replays on GetLoadingProgress for a load it gave up; undefined when it has none. */
async function whyGivenUp(port: MilvusPort, database: string, name: string): Promise<ObservationFailure | undefined> {
  try {
    await port.loadProgress(database, name);
    return undefined;
  } catch (e: unknown) {
    if (!(e instanceof MilvusError) || e.kind === 'notFound' || e.reason === 'CollectionNotLoaded') return undefined;
    return { reason: e.reason, message: `${e.message}; ${ADVICE[e.reason]}`, class: e.kind === 'terminal' ? 'Terminal' : 'Retryable' };
  }
}

/** A collection our last status showed loading that Milvus now shows not loaded, with no reason known yet. */
function lostLoad(prev: CollectionStatus, o: ObservedCollection | undefined): o is ObservedCollection {
  const wasLoading = prev.state === 'Loading' || (prev.state === 'Failed' && prev.reason === 'LoadTimedOut');
  return wasLoading && o !== undefined && o.loadState === 'NotLoad' && !o.loadError;
}

async function probeAbandonedLoads(ins: Inputs, observed: ReadonlyMap<ObservationKey, ObservedDatabase>): Promise<Map<ObservationKey, ObservedDatabase>> {
  // Per observation key, a copy of its collections made at the first reason found and amended after.
  const amended = new Map<ObservationKey, Map<string, ObservedCollection>>();
  for (const input of ins.inputs) {
    const db = observed.get(input.observationKey);
    const g = ins.groups.get(input.observationKey);
    if (db?.ok && g) await probePolicy(input, g, db.collections, amended);
  }
  const out = new Map(observed);
  for (const [key, collections] of amended) out.set(key, { ok: true, collections });
  return out;
}

async function probePolicy(input: PolicyInput, g: ObservationGroup, observed: ReadonlyMap<string, ObservedCollection>, amended: Map<ObservationKey, Map<string, ObservedCollection>>): Promise<void> {
  for (const prev of input.policy.status?.collections ?? []) {
    const o = (amended.get(input.observationKey) ?? observed).get(prev.name);
    if (!lostLoad(prev, o)) continue;
    const loadError = await whyGivenUp(g.port, g.database, prev.name);
    if (!loadError) continue;
    const collections = amended.get(input.observationKey) ?? new Map(observed);
    amended.set(input.observationKey, collections);
    collections.set(prev.name, { ...o, loadError });
  }
}

/** Failures that say the endpoint did not answer (not that the request was wrong). */
const UNANSWERED = new Set(['MilvusUnavailable', 'MilvusTimeout']);

async function observeAll(ins: Inputs, cache: EstimateCache, budgeted: boolean, now: number, unanswered?: Map<string, ObservationFailure>): Promise<Map<ObservationKey, ObservedDatabase>> {
  const users = new Map<ObservationKey, PolicyInput[]>();
  for (const i of ins.inputs) {
    const list = users.get(i.observationKey);
    if (list) list.push(i);
    else users.set(i.observationKey, [i]);
  }
  const observed = new Map<ObservationKey, ObservedDatabase>();
  await mapLimit([...ins.groups.entries()], OBSERVE_CONCURRENCY, async ([key, g]) => {
    const known = unanswered?.get(g.credentials);
    if (known) return void observed.set(key, { ok: false, ...known });
    const o = await observeDatabase(g.port, needsFor(g.database, users.get(key) ?? [], budgeted), cache, now);
    if (!o.ok && UNANSWERED.has(o.reason)) unanswered?.set(g.credentials, { reason: o.reason, message: o.message, ...(o.class ? { class: o.class } : {}) });
    observed.set(key, o);
  });
  return probeAbandonedLoads(ins, observed);
}

/** Observes and plans one instance; changes nothing (the Milvus calls are reads). */
export async function observeAndPlan(src: PassSources, scope: PassScope): Promise<Planned> {
  const { instance, policies, budgets, now } = scope;
  const ins = await resolveInputs({ ...src, unparsable: instance === UNPARSABLE_URI }, instance, policies);
  const observed = await observeAll(ins, src.cache, budgets.length > 0, now, scope.unanswered);
  const usage = scope.usage ? usageInput(scope.usage, idleDatabases(ins, observed)) : undefined;
  return { ins, observed, plan: plan({ instance, policies: ins.inputs, budgets, observed, now, ...(usage ? { usage } : {}) }, { deletionGraceMs: src.deletionGraceMs ?? DEFAULT_DELETION_GRACE_MS }) };
}

/** The observed collections of every database a policy with `spec.idle` uses: those whose usage the planner may ask. */
function idleDatabases(ins: Inputs, observed: ReadonlyMap<ObservationKey, ObservedDatabase>): Map<string, Iterable<string>> {
  const out = new Map<string, Iterable<string>>();
  for (const input of ins.inputs) {
    const db = observed.get(input.observationKey);
    const g = ins.groups.get(input.observationKey);
    if (input.policy.spec.idle && db?.ok && g) out.set(g.database, db.collections.keys());
  }
  return out;
}

/**
 * Observes and plans a whole instance a cell at a time, as `run`'s full pass
 * does (controller/cells.ts), and puts the cells' results together.
 */
export async function observeAndPlanCells(src: PassSources, scope: PassScope): Promise<Planned> {
  const parts: Planned[] = [];
  const unanswered = scope.unanswered ?? new Map<string, ObservationFailure>();
  for (const cell of cellsOf(scope.policies, scope.budgets)) parts.push(await observeAndPlan(src, { ...scope, policies: cell.policies, budgets: cell.budgets, unanswered }));
  return mergePlanned(parts);
}

/** Several cells' results as one (cells share no policy, database or budget). */
export function mergePlanned(parts: readonly Planned[]): Planned {
  const wake = parts.map((x) => x.plan.wakeAt).filter((x): x is number => x !== undefined);
  return {
    ins: {
      inputs: parts.flatMap((x) => x.ins.inputs),
      byRef: new Map(parts.flatMap((x) => [...x.ins.byRef])),
      groups: new Map(parts.flatMap((x) => [...x.ins.groups])),
      usedCredentials: new Set(parts.flatMap((x) => [...x.ins.usedCredentials])),
    },
    observed: new Map(parts.flatMap((x) => [...x.observed])),
    plan: {
      actions: parts.flatMap((x) => x.plan.actions),
      policies: parts.flatMap((x) => x.plan.policies),
      budgets: parts.flatMap((x) => x.plan.budgets),
      loading: parts.some((x) => x.plan.loading),
      ...(wake.length > 0 ? { wakeAt: Math.min(...wake) } : {}),
    },
  };
}
