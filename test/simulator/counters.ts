// Calls per RPC method, for benchmarks ("RPCs per resync"). One plain object
// mutated in place, so reading it costs nothing.

/** RPCs that change what is loaded: what "0 mutating calls in steady state" counts. */
export const MUTATING_METHODS: readonly string[] = ['LoadCollection', 'ReleaseCollection', 'LoadPartitions', 'ReleasePartitions'];

export class Counters {
  /** Calls per method since start or the last reset (methods never called are absent). */
  readonly byMethod: Record<string, number> = Object.create(null) as Record<string, number>;
  /** Calls that carried an `authorization` header (credentials), whatever their value. */
  withAuthorization = 0;

  count(method: string, authorized = false): void {
    this.byMethod[method] = (this.byMethod[method] ?? 0) + 1;
    if (authorized) this.withAuthorization++;
  }

  reset(): void {
    for (const k of Object.keys(this.byMethod)) delete this.byMethod[k];
    this.withAuthorization = 0;
  }

  total(): number {
    let n = 0;
    for (const v of Object.values(this.byMethod)) n += v;
    return n;
  }

  mutating(): number {
    let n = 0;
    for (const m of MUTATING_METHODS) n += this.byMethod[m] ?? 0;
    return n;
  }
}
