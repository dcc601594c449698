// Whole-object validation of our two kinds: metadata, schema, CEL-equivalent
// rules, defaults and (for policies) the run-time checks.
import { budgetSpecSchema, type CollectionLoadBudget } from './budget.ts';
import { API_VERSION, BUDGET_KIND, POLICY_KIND } from './constants.ts';
import { policySpecSchema, type CollectionLoadPolicy } from './policy.ts';
import { checkPolicySpec } from './runtime-checks.ts';
import { applyDefaults, isPlainObject, validateMetadata, validateNode, type FieldError } from './validate.ts';

export type Validated<T> = { ok: true; object: T; errors: [] } | { ok: false; errors: FieldError[] };

/**
 * Validates a CollectionLoadPolicy as admission would, then applies the
 * run-time checks. Returns a defaulted deep copy; the input is not changed.
 */
export function validatePolicy(input: unknown): Validated<CollectionLoadPolicy> {
  return validateKind(input, POLICY_KIND, true, (spec, out) => {
    validateNode(policySpecSchema, spec, 'spec', out);
    if (out.length === 0) {
      applyDefaults(policySpecSchema, spec);
      out.push(...checkPolicySpec(spec as CollectionLoadPolicy['spec']));
    }
  }) as Validated<CollectionLoadPolicy>;
}

export function validateBudget(input: unknown): Validated<CollectionLoadBudget> {
  return validateKind(input, BUDGET_KIND, false, (spec, out) => {
    validateNode(budgetSpecSchema, spec, 'spec', out);
    if (out.length === 0) applyDefaults(budgetSpecSchema, spec);
  }) as Validated<CollectionLoadBudget>;
}

function validateKind(
  input: unknown,
  kind: string,
  namespaced: boolean,
  checkSpec: (spec: unknown, out: FieldError[]) => void,
): Validated<unknown> {
  const out: FieldError[] = [];
  if (!isPlainObject(input)) return { ok: false, errors: [{ path: '', type: 'Invalid', message: 'Invalid value: the document is not an object' }] };
  const copy = structuredClone(input);
  if (copy.apiVersion !== API_VERSION) out.push({ path: 'apiVersion', type: 'Invalid', message: `Invalid value: ${JSON.stringify(copy.apiVersion)}: must be ${API_VERSION}` });
  if (copy.kind !== kind) out.push({ path: 'kind', type: 'Invalid', message: `Invalid value: ${JSON.stringify(copy.kind)}: must be ${kind}` });
  validateMetadata(copy.metadata, namespaced, out);
  if (copy.spec === undefined || copy.spec === null) out.push({ path: 'spec', type: 'Required', message: 'Required value' });
  else checkSpec(copy.spec, out);
  return out.length === 0 ? { ok: true, object: copy, errors: [] } : { ok: false, errors: out };
}
