// The release finalizer, written in its own request before any load it
// guards (kube-rs and controller-runtime do the same): a policy deleted
// between plan and act can then never leave a collection loaded that
// `deletionPolicy: Release` promised to release.
import { RELEASE_FINALIZER } from '../api/constants.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { isKubeError } from '../kube/http.ts';
import type { KubePort } from '../kube/port.ts';
import type { Logger } from '../log/logger.ts';
import type { Failure } from '../planner/retry.ts';
import type { FinalizerAction } from '../planner/types.ts';
import type { PolicyKey } from './inputs.ts';
import { mapLimit } from './map-limit.ts';

/** ok: loads may go ahead. Otherwise none may; `failure` says why when it is worth reporting (a gone policy is not). */
export type FinalizerOutcome = { readonly ok: true } | { readonly ok: false; readonly failure?: Failure };

const ATTEMPTS = 3;

function notAdded(message: string): FinalizerOutcome {
  return { ok: false, failure: { action: 'Load', reason: 'FinalizerNotAdded', message: `finalizer ${RELEASE_FINALIZER} could not be added, so nothing is loaded yet (deletionPolicy: Release needs it): ${message}`, class: 'Retryable' } };
}

async function ensureFinalizer(kube: KubePort, policy: CollectionLoadPolicy): Promise<FinalizerOutcome> {
  const ns = policy.metadata.namespace ?? 'default';
  const name = policy.metadata.name;
  let current: CollectionLoadPolicy | undefined = policy;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Being deleted: no finalizer can be added any more, and nothing may be loaded for it.
    if (current.metadata.deletionTimestamp) return { ok: false };
    const have = current.metadata.finalizers ?? [];
    if (have.includes(RELEASE_FINALIZER)) return { ok: true };
    try {
      await kube.setFinalizers(ns, name, current.metadata.resourceVersion ?? '', [...have, RELEASE_FINALIZER]);
      return { ok: true };
    } catch (e: unknown) {
      if (isKubeError(e, 'NotFound')) return { ok: false };
      if (!isKubeError(e, 'Conflict')) return notAdded((e as Error).message);
    }
    // Stale copy: read the object as it is now and try again in this pass.
    try {
      current = await kube.getPolicy(ns, name);
    } catch (e: unknown) {
      return notAdded((e as Error).message);
    }
    if (!current) return { ok: false };
  }
  return notAdded(`the object kept changing (${ATTEMPTS} conflicts in a row)`);
}

/** Adds the finalizers the plan asks for, before any Milvus call; the outcome per policy gates its loads. */
export async function addFinalizerFirst(kube: KubePort, log: Logger, byRef: ReadonlyMap<PolicyKey, CollectionLoadPolicy>, actions: readonly FinalizerAction[]): Promise<Map<PolicyKey, FinalizerOutcome>> {
  const out = new Map<PolicyKey, FinalizerOutcome>();
  await mapLimit(actions, 8, async (a) => {
    const policy = byRef.get(a.policy);
    if (!policy) return;
    const r = await ensureFinalizer(kube, policy);
    out.set(a.policy, r);
    if (r.ok) log.info('added finalizer', { policy: a.policy });
    else if (r.failure) log.warn(r.failure.message, { policy: a.policy });
    else log.info('policy gone or being deleted before its finalizer was added; nothing loaded for it', { policy: a.policy });
  });
  return out;
}

/** Removes the finalizer; false when the copy was stale or the object is gone (the next pass sees the new one). */
export async function removeFinalizer(kube: KubePort, policy: CollectionLoadPolicy, log?: Logger): Promise<boolean> {
  const next = (policy.metadata.finalizers ?? []).filter((f) => f !== RELEASE_FINALIZER);
  try {
    await kube.setFinalizers(policy.metadata.namespace ?? 'default', policy.metadata.name, policy.metadata.resourceVersion ?? '', next);
    return true;
  } catch (e: unknown) {
    if (!isKubeError(e, 'Conflict') && !isKubeError(e, 'NotFound')) log?.warn('could not remove the finalizer; retrying on the next pass', { error: (e as Error).message });
    return false;
  }
}
