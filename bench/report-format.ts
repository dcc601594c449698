// Small formatting pieces the report's tables share.

export const met = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**');
export const by = (value: number, limit: number): string => (value <= limit ? '' : ` (${(value / limit).toFixed(1)}× the target)`);

export function kv(r: Readonly<Record<string, number>>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
    .join(', ');
}
