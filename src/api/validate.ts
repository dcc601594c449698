// Validates and defaults objects against the same schema the CRDs carry, and
// reports errors in the apiserver's words and field paths, so that the
// offline `validate` command and admission agree.
import { printable, quoted, safeMessage } from './display.ts';
import { DNS_SUBDOMAIN } from './patterns.ts';
import type { ArrayNode, IntegerNode, Node, ObjectNode, StringNode } from './schema.ts';
import { QUANTITY } from './patterns.ts';

export type FieldErrorType = 'Required' | 'Invalid' | 'Unsupported' | 'TooMany' | 'TooFew' | 'TooLong' | 'Forbidden' | 'Duplicate' | 'Unknown';

export interface FieldError {
  /** Field path in the apiserver's notation: `spec.schedule.windows[0].start`. */
  readonly path: string;
  readonly type: FieldErrorType;
  readonly message: string;
}

/** `path: message`, with credentials masked and control characters escaped: safe for logs, events and status. */
export function formatFieldError(e: FieldError): string {
  return `${printable(e.path)}: ${safeMessage(e.message)}`;
}

const QUANTITY_RE = new RegExp(QUANTITY);
const patternCache = new Map<string, RegExp>();
function re(pattern: string): RegExp {
  let r = patternCache.get(pattern);
  if (!r) {
    r = new RegExp(pattern);
    patternCache.set(pattern, r);
  }
  return r;
}

// Values are quoted with user information masked and control characters escaped (display.ts).
const show = (v: unknown): string => (typeof v === 'string' ? quoted(v) : typeof v === 'object' && v !== null ? (Array.isArray(v) ? '"array"' : '"object"') : String(v));

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeError(path: string, v: unknown, want: string): FieldError {
  return { path, type: 'Invalid', message: `Invalid value: ${show(typeName(v))}: ${path} in body must be of type ${want}: ${show(typeName(v))}` };
}

type StringCheck = (node: StringNode, v: string, path: string) => FieldError | undefined;

const STRING_CHECKS: readonly StringCheck[] = [
  (node, v, path) =>
    node.enum && !node.enum.includes(v) ? { path, type: 'Unsupported', message: `Unsupported value: ${show(v)}: supported values: ${node.enum.map((e) => show(e)).join(', ')}` } : undefined,
  (node, v, path) => (node.maxLength !== undefined && v.length > node.maxLength ? { path, type: 'TooLong', message: `Too long: may not be more than ${node.maxLength} bytes` } : undefined),
  (node, v, path) =>
    node.minLength !== undefined && v.length < node.minLength
      ? { path, type: 'Invalid', message: `Invalid value: ${show(v)}: ${path} in body should be at least ${node.minLength} chars long` }
      : undefined,
  (node, v, path) =>
    node.pattern && !re(node.pattern).test(v)
      ? { path, type: 'Invalid', message: `Invalid value: ${show(v)}: ${path} in body should match '${node.pattern}'${node.patternHint ? ` (${node.patternHint})` : ''}` }
      : undefined,
  (node, v, path) =>
    node.format === 'date-time' && Number.isNaN(Date.parse(v)) ? { path, type: 'Invalid', message: `Invalid value: ${show(v)}: ${path} in body must be of type date-time: ${show(v)}` } : undefined,
];

function validateString(node: StringNode, v: unknown, path: string, out: FieldError[]): void {
  if (typeof v !== 'string') {
    out.push(typeError(path, v, 'string'));
    return;
  }
  // The apiserver reports only the first of these a value breaks, in this order.
  for (const check of STRING_CHECKS) {
    const error = check(node, v, path);
    if (error) return void out.push(error);
  }
}

function validateArray(node: ArrayNode, v: unknown, path: string, out: FieldError[]): void {
  if (!Array.isArray(v)) {
    out.push(typeError(path, v, 'array'));
    return;
  }
  if (v.length > node.maxItems) {
    out.push({ path, type: 'TooMany', message: `Too many: ${v.length}: must have at most ${node.maxItems} items` });
    return;
  }
  if (node.minItems !== undefined && v.length < node.minItems) {
    out.push({ path, type: 'TooFew', message: `Invalid value: ${v.length}: ${path} in body should have at least ${node.minItems} items` });
  }
  v.forEach((item, i) => validateNode(node.items, item, `${path}[${i}]`, out));
  checkListUniqueness(node, v, path, out);
}

function checkListUniqueness(node: ArrayNode, v: unknown[], path: string, out: FieldError[]): void {
  if (node.listType !== 'set' && node.listType !== 'map') return;
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const key =
      node.listType === 'map' && isPlainObject(item) ? JSON.stringify((node.listMapKeys ?? []).map((k) => item[k])) : JSON.stringify(item);
    if (seen.has(key)) {
      const shown = node.listType === 'map' && isPlainObject(item) ? `map[${(node.listMapKeys ?? []).map((k) => `${k}:${printable(String(item[k]))}`).join(' ')}]` : show(item);
      out.push({ path: `${path}[${i}]`, type: 'Duplicate', message: `Duplicate value: ${shown}` });
    }
    seen.add(key);
  });
}

function validateObject(node: ObjectNode, v: unknown, path: string, out: FieldError[]): void {
  if (!isPlainObject(v)) {
    out.push(typeError(path, v, 'object'));
    return;
  }
  for (const key of node.required) {
    if (v[key] === undefined || v[key] === null) out.push({ path: join(path, key), type: 'Required', message: 'Required value' });
  }
  for (const [key, value] of Object.entries(v)) {
    const child = node.properties[key];
    if (child === undefined) {
      if (!node.preserveUnknown) out.push({ path: join(path, key), type: 'Unknown', message: `unknown field ${show(join(path, key))}` });
      continue;
    }
    if (value === undefined || value === null) continue;
    validateNode(child, value, join(path, key), out);
  }
}

function validateStructure(node: Node, v: unknown, path: string, out: FieldError[]): void {
  switch (node.kind) {
    case 'string':
      return validateString(node, v, path, out);
    case 'integer':
      return validateInteger(node, v, path, out);
    case 'boolean':
      if (typeof v !== 'boolean') out.push(typeError(path, v, 'boolean'));
      return;
    case 'quantity':
      return validateQuantity(v, path, out);
    case 'array':
      return validateArray(node, v, path, out);
    case 'object':
      return validateObject(node, v, path, out);
  }
}

function validateInteger(node: IntegerNode, v: unknown, path: string, out: FieldError[]): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) return void out.push(typeError(path, v, 'integer'));
  if (v < node.minimum) return void out.push({ path, type: 'Invalid', message: `Invalid value: ${v}: ${path} in body should be greater than or equal to ${node.minimum}` });
  if (v > node.maximum) out.push({ path, type: 'Invalid', message: `Invalid value: ${v}: ${path} in body should be less than or equal to ${node.maximum}` });
}

/** An integer, or a string in Kubernetes quantity notation (as `x-kubernetes-int-or-string` allows). */
function validateQuantity(v: unknown, path: string, out: FieldError[]): void {
  if (typeof v === 'number' && Number.isInteger(v)) return;
  if (typeof v !== 'string') return void out.push(typeError(path, v, 'integer or string'));
  if (!QUANTITY_RE.test(v)) out.push({ path, type: 'Invalid', message: `Invalid value: ${show(v)}: ${path} in body should match '${QUANTITY}' (a quantity such as 12Gi or 500Mi)` });
}

/** Cross-field rules run only on values that are structurally valid, like CEL on a well-typed object. */
function validateRules(node: Node, v: unknown, path: string, out: FieldError[]): void {
  for (const r of node.rules ?? []) {
    if ((r.check as (self: unknown) => boolean)(v)) continue;
    const at = r.fieldPath ? `${path}${r.fieldPath}` : path;
    const type: FieldErrorType = r.reason === 'FieldValueForbidden' ? 'Forbidden' : r.reason === 'FieldValueRequired' ? 'Required' : 'Invalid';
    const prefix = type === 'Forbidden' ? 'Forbidden' : type === 'Required' ? 'Required value' : `Invalid value: ${show(typeName(v) === 'object' ? 'object' : v)}`;
    out.push({ path: at, type, message: `${prefix}: ${r.message}` });
  }
}

export function validateNode(node: Node, v: unknown, path: string, out: FieldError[]): void {
  const before = out.length;
  validateStructure(node, v, path, out);
  if (out.length === before) validateRules(node, v, path, out);
}

/** Fills schema defaults in place, as the apiserver does on decode (only under objects that exist). */
export function applyDefaults(node: Node, v: unknown): unknown {
  if (node.kind === 'object' && isPlainObject(v)) {
    for (const [key, child] of Object.entries(node.properties)) {
      const current = v[key];
      if (current === undefined && 'default' in child && child.default !== undefined) {
        v[key] = structuredClone(child.default);
      }
      if (v[key] !== undefined) applyDefaults(child, v[key]);
    }
  } else if (node.kind === 'array' && Array.isArray(v)) {
    for (const item of v) applyDefaults(node.items, item);
  }
  return v;
}

const NAME_RE = new RegExp(DNS_SUBDOMAIN);

/** The checks the apiserver makes on metadata of any custom object. */
export function validateMetadata(meta: unknown, namespaced: boolean, out: FieldError[]): void {
  if (!isPlainObject(meta)) {
    out.push({ path: 'metadata', type: 'Required', message: 'Required value: metadata.name is required' });
    return;
  }
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    out.push({ path: 'metadata.name', type: 'Required', message: 'Required value: name or generateName is required' });
  } else if (name.length > 253 || !NAME_RE.test(name)) {
    out.push({
      path: 'metadata.name',
      type: 'Invalid',
      message: `Invalid value: ${show(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  if (!namespaced && typeof meta.namespace === 'string' && meta.namespace !== '') {
    out.push({ path: 'metadata.namespace', type: 'Forbidden', message: 'Forbidden: not allowed on this type (CollectionLoadBudget is cluster-scoped); remove metadata.namespace' });
  }
}
