// Which Events a status change deserves (pure): collection transitions, and
// a policy-level problem appearing. The controller only records them.
import type { CollectionStatus, PolicyStatus } from '../api/policy.ts';
import type { PolicyDraft } from './types.ts';

export interface EventSpec {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** At most this many Events per policy per pass. */
const MAX_EVENTS = 10;

/**
 * One Event per (type, reason) per pass, not one per collection: a policy of
 * 100 collections starting to load is one `LoadStarted` naming them, so a
 * cold start does not flood the API server with Events.
 */
function groupByReason(items: readonly { name: string; ev: EventSpec }[]): EventSpec[] {
  const groups = new Map<string, { name: string; ev: EventSpec }[]>();
  for (const x of items) {
    const k = `${x.ev.type}|${x.ev.reason}`;
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as { name: string; ev: EventSpec };
    if (g.length === 1) return first.ev;
    const names = g.slice(0, 5).map((x) => x.name).join(', ');
    const more = g.length > 5 ? ` and ${g.length - 5} more` : '';
    return { ...first.ev, message: `${g.length} collections (${names}${more}); first: ${first.ev.message}` };
  });
}

/** Idle release and load on use (ADR 0010): Normal events, they are what the policy asked for. */
function usageEvent(c: CollectionStatus, old: CollectionStatus | undefined, text: string): EventSpec | undefined {
  if (c.reason === 'Idle' && wasResident(old)) return { type: 'Normal', reason: 'IdleReleased', message: text };
  if (c.reason === 'LoadOnUse') return { type: 'Normal', reason: 'LoadOnUse', message: text };
  return undefined;
}

/** `loadedNow`: this pass sent the load and saw it finish, so no Loading status came first. */
function collectionEvent(c: CollectionStatus, old: CollectionStatus | undefined, loadedNow: boolean): EventSpec | undefined {
  if (old?.state === c.state && old.reason === c.reason) return undefined;
  const text = `${c.name}: ${c.message ?? ''}`;
  return usageEvent(c, old, text) ?? transitionEvent(c, old, loadedNow, text);
}

/** States that deserve a Warning whenever a collection enters them. */
const WARNING_STATES: ReadonlySet<string> = new Set(['Failed', 'Conflict', 'NotFound', 'Deferred']);

function transitionEvent(c: CollectionStatus, old: CollectionStatus | undefined, loadedNow: boolean, text: string): EventSpec | undefined {
  if (c.reason === 'LoadStarted') return { type: 'Normal', reason: 'LoadStarted', message: text };
  if (c.reason === 'DriftCorrected') return { type: 'Warning', reason: 'DriftCorrected', message: text };
  if (c.state === 'Loaded' && becameLoaded(old, loadedNow)) return { type: 'Normal', reason: 'Loaded', message: `${c.name} loaded` };
  if (c.state === 'Released' && wasResident(old)) return { type: 'Normal', reason: 'Released', message: text };
  if (WARNING_STATES.has(c.state)) return { type: 'Warning', reason: c.reason ?? c.state, message: text };
  return undefined;
}

/** In memory (or on its way) before this change. */
function wasResident(old: CollectionStatus | undefined): boolean {
  return old?.state === 'Loaded' || old?.state === 'Loading';
}

function becameLoaded(old: CollectionStatus | undefined, loadedNow: boolean): boolean {
  return old?.state === 'Loading' || (loadedNow && old?.state !== 'Loaded');
}

/** Events for what changed between two statuses of one policy. */
export function eventsFor(draft: PolicyDraft, prev: PolicyStatus | undefined, next: PolicyStatus): EventSpec[] {
  const events = groupByReason(collectionEvents(draft, prev, next));
  const ready = readinessWarning(draft, prev, next);
  if (ready) events.push(ready);
  return events.slice(0, MAX_EVENTS);
}

function collectionEvents(draft: PolicyDraft, prev: PolicyStatus | undefined, next: PolicyStatus): { name: string; ev: EventSpec }[] {
  const before = new Map((prev?.collections ?? []).map((c) => [c.name, c]));
  const loadedNow = new Set(draft.loadedInPass ?? []);
  return (next.collections ?? [])
    .map((c) => ({ name: c.name, ev: collectionEvent(c, before.get(c.name), loadedNow.has(c.name)) }))
    .filter((x): x is { name: string; ev: EventSpec } => x.ev !== undefined);
}

/** A policy-level problem (blockers) that has just made Ready False, or changed its reason. */
function readinessWarning(draft: PolicyDraft, prev: PolicyStatus | undefined, next: PolicyStatus): EventSpec | undefined {
  const ready = next.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'False' || draft.blockers.length === 0) return undefined;
  const was = prev?.conditions?.find((c) => c.type === 'Ready');
  if (was?.reason === ready.reason && was.status === ready.status) return undefined;
  return { type: 'Warning', reason: ready.reason, message: ready.message };
}

/** The Warning ADR 0005 promises when a policy's release is given up after the grace period. */
export function releaseAbandonedEvent(graceMs: number): EventSpec {
  return {
    type: 'Warning',
    reason: 'ReleaseAbandoned',
    message: `Milvus stayed unreachable for ${Math.round(graceMs / 60_000)} min after the policy was deleted; the finalizer was removed without releasing its collections: release them by hand if Milvus comes back`,
  };
}
