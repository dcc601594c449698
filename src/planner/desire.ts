// What each policy wants right now, after schedule, suspend and deletion.
import { DEFAULT_STATE, MANAGED_ANNOTATION } from '../api/constants.ts';
import type { LoadState } from '../api/policy.ts';
import { evaluateSchedule, type ScheduleEvaluation } from '../schedule/evaluate.ts';
import type { PolicyInput } from './types.ts';

/**
 * - `strong`: the policy states what it wants (no schedule, or inside a window).
 * - `weak`: a scheduled policy outside its windows: Released, unless a strong claim says otherwise.
 * - `onDelete`: a policy being deleted with `deletionPolicy: Release`: release, unless any live policy selects it.
 * - `none`: takes no part (invalid spec, or deleted with Retain).
 */
export type ClaimStrength = 'strong' | 'weak' | 'onDelete' | 'none';

export interface Desire {
  readonly effective: LoadState;
  readonly claim: ClaimStrength;
  /** Suspended or unmanaged: wins or loses like anyone, but never acts. */
  readonly frozen?: { readonly reason: 'Suspended' | 'Unmanaged'; readonly message: string };
  readonly nextChange?: number;
  readonly prewarming: boolean;
  /** A schedule that cannot be evaluated (should have been caught as a problem). */
  readonly scheduleError?: string;
}

export function desireOf(input: PolicyInput, now: number): Desire {
  const spec = input.policy.spec;
  const frozen = frozenBy(input);
  if (input.policy.metadata.deletionTimestamp) return withFrozen(deletingDesire(input), frozen);
  const declared: LoadState = spec.state ?? DEFAULT_STATE;
  if (input.problems.length > 0) return { effective: declared, claim: 'none', prewarming: false };
  if (!spec.schedule || declared === 'Released') return withFrozen({ effective: declared, claim: 'strong', prewarming: false }, frozen);
  const evaluated = evaluateSchedule(spec.schedule, now);
  if (!evaluated.ok) return { effective: declared, claim: 'none', prewarming: false, scheduleError: evaluated.error };
  return withFrozen(scheduledDesire(evaluated.value), frozen);
}

/** Being deleted: only `deletionPolicy: Release` (on a valid spec) still claims, and it claims a release. */
function deletingDesire(input: PolicyInput): Desire {
  const spec = input.policy.spec;
  const releasing = spec.deletionPolicy === 'Release';
  return { effective: releasing ? 'Released' : (spec.state ?? DEFAULT_STATE), claim: releasing && input.problems.length === 0 ? 'onDelete' : 'none', prewarming: false };
}

/** A scheduled policy that wants Loaded: strong inside a window (or its prewarm), weak outside. */
function scheduledDesire(s: ScheduleEvaluation): Desire {
  return {
    effective: s.active ? 'Loaded' : 'Released',
    claim: s.active ? 'strong' : 'weak',
    prewarming: s.prewarming,
    ...(s.nextChange === undefined ? {} : { nextChange: s.nextChange }),
  };
}

function withFrozen(desire: Desire, frozen: Desire['frozen']): Desire {
  return frozen ? { ...desire, frozen } : desire;
}

function frozenBy(input: PolicyInput): Desire['frozen'] {
  const { policy } = input;
  if (policy.spec.suspend) return { reason: 'Suspended', message: 'spec.suspend is true: observing only; set it to false to let the operator act' };
  if (policy.metadata.annotations?.[MANAGED_ANNOTATION] === 'false') {
    return { reason: 'Unmanaged', message: `annotation ${MANAGED_ANNOTATION}: "false": observing only; remove the annotation to let the operator act` };
  }
  return undefined;
}
