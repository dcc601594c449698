import { QUANTITY } from './patterns.ts';

const QUANTITY_RE = new RegExp(QUANTITY);

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * Parses a Kubernetes quantity (`12Gi`, `500M`, `1.5e9`, or a plain integer)
 * into a number of bytes, rounded up. Returns `undefined` when it is not a
 * quantity, so callers can turn that into a condition rather than throw.
 */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.ceil(value) : undefined;
  const s = value.trim();
  if (!QUANTITY_RE.test(s)) return undefined;
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(s);
  if (!m) return undefined;
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  let factor: number | undefined = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined && /^[eE]/.test(suffix)) factor = 10 ** Number(suffix.slice(1));
  if (factor === undefined) return undefined;
  const bytes = Math.ceil(num * factor);
  return Number.isFinite(bytes) ? bytes : undefined;
}

/** Formats bytes the way a person reads memory: `41Gi`, `1.5Gi`, `512Mi`, `900`. Always a valid quantity. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return String(Math.max(0, Math.round(bytes)));
  const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
  let value = bytes;
  let unit = 0;
  for (; unit < units.length - 1 && value >= 1024 * 1024; unit++) value /= 1024;
  value /= 1024;
  const rounded = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded}${units[unit]}`;
}
