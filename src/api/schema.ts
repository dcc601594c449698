// A deliberately small schema language for our two kinds. One definition
// yields: the TypeScript types (via `Static`), the structural OpenAPI v3
// schema in crds/*.yaml, the run-time validator (src/api/validate.ts), the
// defaults, and docs/api.md. See docs/adr/0002-one-schema-definition.md for
// why this is hand-rolled rather than a general JSON-schema library.

/** A cross-field rule: the CEL text the apiserver runs, and the same rule in TypeScript for offline/run-time checks. */
export interface Rule<T = unknown> {
  /** CEL expression evaluated by the apiserver (`x-kubernetes-validations[].rule`). */
  readonly cel: string;
  /** What is wrong and what to do; shown by kubectl and by `validate`. */
  readonly message: string;
  /** Relative JSONPath the error is reported at, e.g. `.start`; omit to report at the node itself. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** TypeScript equivalent of `cel`: returns true when the value is valid. Only called on values that passed the structural checks. */
  readonly check: (self: T) => boolean;
}

interface Base {
  readonly description: string;
  readonly rules?: readonly Rule<never>[];
}

export interface StringNode<T extends string = string> extends Base {
  readonly kind: 'string';
  readonly enum?: readonly T[];
  readonly pattern?: string;
  /** Human words for the pattern, used in offline messages and docs. */
  readonly patternHint?: string;
  readonly format?: 'date-time';
  readonly minLength?: number;
  readonly maxLength: number;
  readonly default?: T;
}

export interface IntegerNode extends Base {
  readonly kind: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  readonly default?: number;
  readonly format?: 'int32' | 'int64';
}

export interface BooleanNode extends Base {
  readonly kind: 'boolean';
  readonly default?: boolean;
}

/** A Kubernetes quantity such as `12Gi`, accepted as integer or string (`x-kubernetes-int-or-string`). */
export interface QuantityNode extends Base {
  readonly kind: 'quantity';
}

export interface ArrayNode<I extends Node = Node> extends Base {
  readonly kind: 'array';
  readonly items: I;
  readonly minItems?: number;
  readonly maxItems: number;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
}

export type Props = Readonly<Record<string, Node>>;

export interface ObjectNode<P extends Props = Props, R extends keyof P & string = keyof P & string> extends Base {
  readonly kind: 'object';
  readonly properties: P;
  readonly required: readonly R[];
  readonly default?: Record<string, unknown>;
  /** `x-kubernetes-preserve-unknown-fields` (only for metadata-like passthrough). */
  readonly preserveUnknown?: boolean;
}

export type Node = StringNode | IntegerNode | BooleanNode | QuantityNode | ArrayNode | ObjectNode;

// ---- type inference ---------------------------------------------------------

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type StaticObject<P extends Props, R extends string> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]: Static<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : K]?: Static<P[K]>;
  }
>;

export type Static<N> = N extends StringNode<infer T>
  ? T
  : N extends IntegerNode
    ? number
    : N extends BooleanNode
      ? boolean
      : N extends QuantityNode
        ? string | number
        : N extends ArrayNode<infer I>
          ? Static<I>[]
          : N extends ObjectNode<infer P, infer R>
            ? StaticObject<P, R>
            : never;

// ---- builders ---------------------------------------------------------------

type Opts<N> = Omit<N, 'kind' | 'description' | 'rules'> & { rules?: readonly Rule<never>[] };

export function str(description: string, opts: Opts<StringNode>): StringNode {
  return { kind: 'string', description, ...opts };
}

export function enumOf<const T extends string>(description: string, values: readonly T[], defaultValue?: T): StringNode<T> {
  const longest = Math.max(...values.map((v) => v.length));
  return { kind: 'string', description, enum: values, maxLength: longest, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

export function int(description: string, opts: Opts<IntegerNode>): IntegerNode {
  return { kind: 'integer', description, ...opts };
}

export function bool(description: string, defaultValue?: boolean): BooleanNode {
  return { kind: 'boolean', description, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

export function quantity(description: string, rules?: readonly Rule<never>[]): QuantityNode {
  return { kind: 'quantity', description, ...(rules ? { rules } : {}) };
}

export function arr<I extends Node>(description: string, items: I, opts: Omit<Opts<ArrayNode<I>>, 'items'>): ArrayNode<I> {
  return { kind: 'array', description, ...opts, items };
}

export function obj<const P extends Props, const R extends keyof P & string = never>(
  description: string,
  properties: P,
  opts: { required?: readonly R[]; rules?: readonly Rule<never>[]; default?: Record<string, unknown>; preserveUnknown?: boolean } = {},
): ObjectNode<P, R> {
  return { kind: 'object', description, properties, required: opts.required ?? [], ...withoutRequired(opts) };
}

function withoutRequired<T extends { required?: unknown }>(o: T): Omit<T, 'required'> {
  const { required: _ignored, ...rest } = o;
  return rest;
}

/** Typed rule constructor: `rule<Static<typeof node>>(...)` keeps `check` honest. */
export function rule<T>(r: Rule<T>): Rule<never> {
  return r;
}
