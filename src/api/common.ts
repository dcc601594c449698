// Schema pieces both kinds share: conditions, quantities, time stamps.
import { arr, enumOf, int, obj, quantity, rule, str, type QuantityNode, type StringNode } from './schema.ts';
import { parseQuantity } from './quantity.ts';

export const timestamp = (description: string): StringNode => str(description, { format: 'date-time', maxLength: 64 });

/** metav1.Condition, as the Kubernetes API conventions define it. */
export const conditionSchema = obj(
  'A condition in the Kubernetes API conventions style.',
  {
    type: str('Type of condition: `Ready`, `Progressing`, `Degraded`, `Reconciling`, `Stalled`, `Suspended` or `UsageKnown` (policies); `Ready`, `OverBudget` (budgets).', {
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: enumOf('`True`, `False` or `Unknown`.', ['True', 'False', 'Unknown']),
    reason: str('A CamelCase word for programs; see the README troubleshooting table for every reason.', {
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: str('What is wrong and what to do, for people.', { maxLength: 32768 }),
    observedGeneration: int('The `.metadata.generation` the condition was computed from.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, format: 'int64' }),
    lastTransitionTime: timestamp('When `status` last changed.'),
  },
  { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
);

export const conditionsSchema = arr('Standard conditions, one per type.', conditionSchema, {
  maxItems: 8,
  listType: 'map',
  listMapKeys: ['type'],
});

/** A strictly positive quantity of bytes. */
export function positiveQuantity(description: string, what: string): QuantityNode {
  return quantity(description, [
    rule<string | number>({
      cel: "type(self) == int ? self > 0 : quantity(self).isGreaterThan(quantity('0'))",
      message: `${what} must be a positive quantity of bytes such as 12Gi or 500Mi`,
      check: (self) => (parseQuantity(self) ?? 0) > 0,
    }),
  ]);
}
