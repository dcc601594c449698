// Schemas the simulator builds for direct seeding, and the memory a row of a
// schema takes once loaded (the simulator's stand-in for segment sizes).
import type { Schema, SchemaField } from './protocol.ts';

const VECTOR_TYPES = new Set(['FloatVector', 'BinaryVector', 'Float16Vector', 'BFloat16Vector', 'SparseFloatVector', 'Int8Vector']);
const FIXED_BYTES: Readonly<Record<string, number>> = { Bool: 1, Int8: 1, Int16: 2, Int32: 4, Int64: 8, Float: 4, Double: 8 };
/** Bytes a row of a variable-length or sparse field is assumed to take. */
const VARIABLE_BYTES = 64;

export const isVector = (f: SchemaField): boolean => VECTOR_TYPES.has(f.data_type);

export function param(f: SchemaField, key: string): string | undefined {
  return f.type_params?.find((p) => p.key === key)?.value;
}

function fieldBytes(f: SchemaField): number {
  const fixed = FIXED_BYTES[f.data_type];
  if (fixed !== undefined) return fixed;
  const dim = Number(param(f, 'dim') ?? 0);
  switch (f.data_type) {
    case 'FloatVector':
      return dim * 4;
    case 'Float16Vector':
    case 'BFloat16Vector':
      return dim * 2;
    case 'Int8Vector':
      return dim;
    case 'BinaryVector':
      return Math.ceil(dim / 8);
    case 'VarChar':
    case 'String':
      return Math.ceil(Number(param(f, 'max_length') ?? VARIABLE_BYTES * 2) / 2);
    default:
      return VARIABLE_BYTES;
  }
}

/** Loaded bytes per row of the given fields (raw data; indexes add their own factor in real Milvus). */
export function bytesPerRow(fields: readonly SchemaField[]): number {
  let total = 0;
  for (const f of fields) total += fieldBytes(f);
  return total;
}

export interface FieldSeed {
  name: string;
  type: string;
  dim?: number;
  maxLength?: number;
  primary?: boolean;
}

/** `id` Int64 primary key + `vec` FloatVector(dim), or the given fields. */
export function seedSchema(name: string, dim: number, fields?: readonly FieldSeed[]): Schema {
  const seeds: readonly FieldSeed[] = fields ?? [
    { name: 'id', type: 'Int64', primary: true },
    { name: 'vec', type: 'FloatVector', dim },
  ];
  return {
    name,
    description: '',
    enable_dynamic_field: false,
    fields: seeds.map((s) => ({
      name: s.name,
      data_type: s.type,
      is_primary_key: s.primary ?? false,
      autoID: false,
      type_params: [
        ...(s.dim !== undefined ? [{ key: 'dim', value: String(s.dim) }] : []),
        ...(s.maxLength !== undefined ? [{ key: 'max_length', value: String(s.maxLength) }] : []),
      ],
    })),
  };
}
