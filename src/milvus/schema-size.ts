// Bytes per row from a collection schema, for the schema-derived memory
// estimate (docs/budgets.md). Deliberately simple and documented: the
// measured size replaces it once Milvus reports one.

export interface FieldLike {
  readonly data_type: string | number;
  readonly type_params?: readonly { key: string; value: string }[];
  readonly dim?: string | number;
  readonly max_length?: string | number;
}

const FIXED: Readonly<Record<string, number>> = { Bool: 1, Int8: 1, Int16: 2, Int32: 4, Int64: 8, Float: 4, Double: 8, Timestamptz: 8 };
/** VarChar is counted at half its max_length; JSON, arrays and unknown types at this many bytes. */
export const VARIABLE_FIELD_BYTES = 256;

function param(f: FieldLike, key: 'dim' | 'max_length'): number {
  const direct = f[key];
  if (direct !== undefined && direct !== '') return Number(direct);
  return Number(f.type_params?.find((p) => p.key === key)?.value ?? 0);
}

export function bytesPerRow(fields: readonly FieldLike[]): number {
  let total = 0;
  for (const f of fields) {
    const t = String(f.data_type);
    const dim = param(f, 'dim');
    if (FIXED[t] !== undefined) total += FIXED[t] ?? 0;
    else if (t === 'FloatVector') total += dim * 4;
    else if (t === 'Float16Vector' || t === 'BFloat16Vector') total += dim * 2;
    else if (t === 'Int8Vector') total += dim;
    else if (t === 'BinaryVector') total += Math.ceil(dim / 8);
    else if (t === 'VarChar' || t === 'String') total += Math.ceil((param(f, 'max_length') || 512) / 2);
    else total += VARIABLE_FIELD_BYTES;
  }
  return total;
}

/** Index and segment overhead over raw data; see docs/budgets.md. */
export const INDEX_FACTOR = 1.5;
