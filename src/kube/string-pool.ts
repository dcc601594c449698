// Keeps one copy of each repeated string of the informer's cached objects.
// JSON.parse makes a new string for every value, and V8 never merges equal
// strings: with 10,000 policies of 10 collections each, the cache held
// 180,000 copies of a few timestamps, 20,000 of `CollectionLoadPolicy`, and
// every collection name twice (spec and status), 18.6 MB of strings in all
// (heap snapshot of the operator after a 10,000-policy cold start).
//
// Bounded, because policy authors choose these strings: at most
// `maxEntries` strings of at most `maxLength` characters are pooled, and a
// full pool starts again empty (later copies are then merged among
// themselves). A miss only costs the copy it would have saved.

export interface StringPoolOptions {
  readonly maxEntries?: number;
  readonly maxLength?: number;
}

export class StringPool {
  private readonly table = new Map<string, string>();
  private readonly maxEntries: number;
  private readonly maxLength: number;

  constructor(o: StringPoolOptions = {}) {
    this.maxEntries = o.maxEntries ?? 50_000;
    this.maxLength = o.maxLength ?? 256;
  }

  get size(): number {
    return this.table.size;
  }

  /** The pooled copy of `s` (`s` itself when it is new, or too long to pool). */
  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const pooled = this.table.get(s);
    if (pooled !== undefined) return pooled;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(s, s);
    return s;
  }

  /**
   * Replaces, in place, every string value under `root` (a parsed JSON
   * document) with its pooled copy. Walks with its own stack, so a deeply
   * nested document cannot overflow the call stack.
   */
  internAll(root: unknown): void {
    const stack: unknown[] = [root];
    for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
      if (typeof v !== 'object' || v === null) continue;
      const slots = v as Record<string | number, unknown>;
      for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
        const x = slots[k];
        if (typeof x === 'string') slots[k] = this.intern(x);
        else if (typeof x === 'object' && x !== null) stack.push(x);
      }
    }
  }
}
