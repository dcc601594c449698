// Schema node -> structural OpenAPI v3 (what `crds/*.yaml` carries).
import { QUANTITY } from './patterns.ts';
import type { Node, Rule } from './schema.ts';

export type OpenAPISchema = Record<string, unknown>;

function validations(rules: readonly Rule<never>[] | undefined): OpenAPISchema {
  if (!rules || rules.length === 0) return {};
  return {
    'x-kubernetes-validations': rules.map((r) => ({
      rule: r.cel,
      message: r.message,
      ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    })),
  };
}

function defined(o: Record<string, unknown>): OpenAPISchema {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function toOpenAPI(node: Node): OpenAPISchema {
  const common = { description: node.description };
  switch (node.kind) {
    case 'string':
      return defined({
        ...common,
        type: 'string',
        enum: node.enum ? [...node.enum] : undefined,
        format: node.format,
        pattern: node.pattern,
        minLength: node.minLength,
        maxLength: node.maxLength,
        default: node.default,
        ...validations(node.rules),
      });
    case 'integer':
      return defined({
        ...common,
        type: 'integer',
        format: node.format ?? (node.maximum > 2 ** 31 - 1 || node.minimum < -(2 ** 31) ? 'int64' : 'int32'),
        minimum: node.minimum,
        maximum: node.maximum,
        default: node.default,
        ...validations(node.rules),
      });
    case 'boolean':
      return defined({ ...common, type: 'boolean', default: node.default, ...validations(node.rules) });
    case 'quantity':
      return {
        ...common,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        pattern: QUANTITY,
        'x-kubernetes-int-or-string': true,
        ...validations(node.rules),
      };
    case 'array':
      return defined({
        ...common,
        type: 'array',
        items: toOpenAPI(node.items),
        minItems: node.minItems,
        maxItems: node.maxItems,
        'x-kubernetes-list-type': node.listType,
        'x-kubernetes-list-map-keys': node.listMapKeys ? [...node.listMapKeys] : undefined,
        ...validations(node.rules),
      });
    case 'object':
      return defined({
        ...common,
        type: 'object',
        properties: Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toOpenAPI(v)])),
        required: node.required.length > 0 ? [...node.required] : undefined,
        default: node.default,
        'x-kubernetes-preserve-unknown-fields': node.preserveUnknown,
        ...validations(node.rules),
      });
  }
}
