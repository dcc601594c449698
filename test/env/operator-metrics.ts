// The operator's own /metrics as proof that it has looked: a negative check
// ("nothing was released", "no status was written") means something only
// after the operator has reconciled the instance again. Waiting for the
// reconcile counter to move replaces a sleep of "long enough".
import { parseExposition, type Exposition } from './prom.ts';
import { until } from './wait.ts';

export async function scrapeMetrics(url: string): Promise<Exposition> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return parseExposition(await r.text());
}

/** Sum of `name` over the samples that carry these labels (0 when there are none yet). */
export function total(e: Exposition, name: string, match: Readonly<Record<string, string>> = {}): number {
  return e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

/** Sum of `name` over the samples whose `milvus` label names the instance on `port` (the label is the normalized URI). */
export function ofInstance(e: Exposition, name: string, port: number, match: Readonly<Record<string, string>> = {}): number {
  return e.samples
    .filter((s) => s.name === name && (s.labels.milvus ?? '').endsWith(`:${port}`) && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Finished reconciles of the Milvus instance on `port`, whatever their result. */
export async function reconciles(url: string, port: number): Promise<number> {
  return ofInstance(await scrapeMetrics(url), 'milvus_load_operator_reconcile_total', port);
}

/**
 * Resolves once the operator has finished `n` more reconciles of the instance
 * on `port` than when called. With n = 2, at least one of them started after
 * the call, so it saw whatever the caller did just before.
 */
export async function untilReconciled(url: string, port: number, n = 2, timeoutMs = 90_000): Promise<void> {
  const from = await reconciles(url, port);
  await until(`${n} more reconciles of the Milvus instance on port ${port} (from ${from})`, async () => (await reconciles(url, port)) >= from + n, timeoutMs);
}
