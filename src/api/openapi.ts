// Schema node -> structural OpenAPI v3 (what `crds/*.yaml` carries).
import { QUANTITY } from './patterns.ts';
import type { ArrayNode, BooleanNode, IntegerNode, Node, ObjectNode, Rule, StringNode } from './schema.ts';

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

/** The widest integer Kubernetes stores as int32; anything beyond is declared int64. */
const INT32_MAX = 2 ** 31 - 1;

function stringSchema(node: StringNode): OpenAPISchema {
  return {
    type: 'string',
    enum: node.enum ? [...node.enum] : undefined,
    format: node.format,
    pattern: node.pattern,
    minLength: node.minLength,
    maxLength: node.maxLength,
    default: node.default,
  };
}

function integerSchema(node: IntegerNode): OpenAPISchema {
  const fitsInt32 = node.maximum <= INT32_MAX && node.minimum >= -(INT32_MAX + 1);
  return {
    type: 'integer',
    format: node.format ?? (fitsInt32 ? 'int32' : 'int64'),
    minimum: node.minimum,
    maximum: node.maximum,
    default: node.default,
  };
}

function booleanSchema(node: BooleanNode): OpenAPISchema {
  return { type: 'boolean', default: node.default };
}

function quantitySchema(): OpenAPISchema {
  return { anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: QUANTITY, 'x-kubernetes-int-or-string': true };
}

function arraySchema(node: ArrayNode): OpenAPISchema {
  return {
    type: 'array',
    items: toOpenAPI(node.items),
    minItems: node.minItems,
    maxItems: node.maxItems,
    'x-kubernetes-list-type': node.listType,
    'x-kubernetes-list-map-keys': node.listMapKeys ? [...node.listMapKeys] : undefined,
  };
}

function objectSchema(node: ObjectNode): OpenAPISchema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toOpenAPI(v)])),
    required: node.required.length > 0 ? [...node.required] : undefined,
    default: node.default,
    'x-kubernetes-preserve-unknown-fields': node.preserveUnknown,
  };
}

function schemaOfKind(node: Node): OpenAPISchema {
  switch (node.kind) {
    case 'string':
      return stringSchema(node);
    case 'integer':
      return integerSchema(node);
    case 'boolean':
      return booleanSchema(node);
    case 'quantity':
      return quantitySchema();
    case 'array':
      return arraySchema(node);
    case 'object':
      return objectSchema(node);
  }
}

/** Keys left undefined by a node are omitted, so the generated YAML carries only what the schema says. */
export function toOpenAPI(node: Node): OpenAPISchema {
  return defined({ description: node.description, ...schemaOfKind(node), ...validations(node.rules) });
}
