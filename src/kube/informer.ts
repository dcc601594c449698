// List + watch with a local cache, built to never stop: unlike the
// client-node informer (which stops for good on most errors), this one
// restarts with jittered exponential backoff, relists on 410 Gone, and
// notices a watch that stalls without an error (no event or bookmark for
// longer than the server-side timeout plus a margin). Callbacks are
// synchronous and must only enqueue work.
import { realClock, sleep, type Clock, type Timer } from './clock.ts';
import { isKubeError, type KubeHttp } from './http.ts';
import { StringPool } from './string-pool.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}

export type ChangeHandler<T> = (key: string, current: T | undefined, previous: T | undefined) => void;

export interface InformerOptions<T extends KubeObject> {
  readonly name: string;
  readonly http: KubeHttp;
  /** Collection path, e.g. `/apis/milvusload.io/v1alpha1/collectionloadpolicies`. */
  readonly path: string;
  readonly onChange: ChangeHandler<T>;
  readonly onError?: (err: Error, attempt: number, retryInMs: number) => void;
  readonly onSynced?: () => void;
  /** Server-side watch timeout; the watch is re-opened after it. */
  readonly watchTimeoutSeconds?: number;
  /** A watch silent this much longer than its timeout is treated as stalled. */
  readonly stallMarginMs?: number;
  readonly maxBackoffMs?: number;
  /** The operator's one clock (backoff sleeps and the stall watchdog). */
  readonly clock?: Clock;
  /**
   * Objects per LIST page (client-go's pager uses 500): with 10,000 policies
   * an unpaginated LIST is one response of tens of MiB, held as a string and
   * as its parse at the same time; pages bound that peak.
   */
  readonly pageSize?: number;
}

interface ListPage<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

const DEFAULT_PAGE_SIZE = 500;

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

class GoneError extends Error {}

/**
 * Drops `metadata.managedFields` before an object is cached, as
 * controller-runtime's TransformStripManagedFields does: nothing here reads
 * it, and with the operator's own status writes it lists every status field
 * of every collection, a large share of each cached policy.
 */
function stripManagedFields(o: KubeObject): void {
  delete (o.metadata as { managedFields?: unknown }).managedFields;
}

/**
 * Client-side `kubectl apply` (and Argo CD, which uses it by default) keeps
 * the whole applied manifest in this annotation: a second copy of every
 * policy in the cache, read by nothing here.
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** What the cache keeps of an object: without managedFields and kubectl's last-applied copy, its repeated strings pooled (string-pool.ts). */
function slim(o: KubeObject, pool: StringPool): void {
  stripManagedFields(o);
  if (o.apiVersion) o.apiVersion = pool.intern(o.apiVersion);
  if (o.kind) o.kind = pool.intern(o.kind);
  const m = o.metadata as KubeObject['metadata'] & { labels?: unknown; annotations?: Record<string, unknown>; finalizers?: unknown };
  if (m.namespace) m.namespace = pool.intern(m.namespace);
  if (m.annotations) delete m.annotations[LAST_APPLIED];
  // Not the rest of metadata: name, uid, resourceVersion and creationTimestamp are each object's own.
  for (const part of [m.labels, m.annotations, m.finalizers, (o as { spec?: unknown }).spec, (o as { status?: unknown }).status]) pool.internAll(part);
}

export class Informer<T extends KubeObject> {
  private readonly opts: InformerOptions<T>;
  private readonly cache = new Map<string, T>();
  private readonly strings = new StringPool();
  private resourceVersion = '';
  private stopped = false;
  private synced = false;
  private abortWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  /** Counts restarts, for metrics and tests. */
  restarts = 0;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  start(): Promise<void> {
    return this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        await this.relist();
        attempt = 0;
        await this.watchLoop();
      } catch (e: unknown) {
        if (this.stopped) return;
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof GoneError) continue; // relist at once
        attempt++;
        this.restarts++;
        const cap = this.opts.maxBackoffMs ?? 30_000;
        const delay = Math.min(cap, 500 * 2 ** Math.min(attempt - 1, 10)) * (0.5 + Math.random() * 0.5);
        this.opts.onError?.(err, attempt, Math.round(delay));
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    const s = sleep(this.opts.clock ?? realClock, ms);
    this.wake = s.wake;
    return s.done;
  }

  private async relist(): Promise<void> {
    const seen = new Set<string>();
    let resourceVersion: string;
    try {
      resourceVersion = await this.listPages(seen, this.opts.pageSize ?? DEFAULT_PAGE_SIZE);
    } catch (e: unknown) {
      // A continue token outlives etcd's compaction window only so long; like
      // client-go's pager, fall back to one unpaginated LIST.
      if (!isKubeError(e, 'Gone')) throw e;
      resourceVersion = await this.listPages(seen, undefined);
    }
    for (const [key, prev] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.opts.onChange(key, undefined, prev);
      }
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      this.opts.onSynced?.();
    }
  }

  /** Lists every object page by page into the cache; returns the list's resourceVersion (one snapshot for all pages). */
  private async listPages(seen: Set<string>, pageSize: number | undefined): Promise<string> {
    const sep = this.opts.path.includes('?') ? '&' : '?';
    let token: string | undefined;
    for (;;) {
      const query = [pageSize !== undefined ? `limit=${pageSize}` : '', token ? `continue=${encodeURIComponent(token)}` : ''].filter(Boolean).join('&');
      const { body } = await this.opts.http.call<ListPage<T>>('GET', query ? `${this.opts.path}${sep}${query}` : this.opts.path);
      for (const item of body.items) this.store(item, seen);
      token = body.metadata.continue || undefined;
      if (!token) return body.metadata.resourceVersion;
    }
  }

  private store(item: T, seen: Set<string>): void {
    slim(item, this.strings);
    const key = objectKey(item);
    seen.add(key);
    const prev = this.cache.get(key);
    this.cache.set(key, item);
    if (!prev || prev.metadata.resourceVersion !== item.metadata.resourceVersion) this.opts.onChange(key, item, prev);
  }

  private async watchLoop(): Promise<void> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    while (!this.stopped) {
      const sep = this.opts.path.includes('?') ? '&' : '?';
      const path = `${this.opts.path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeout}&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
      let gone = false;
      let stallTimer: Timer | undefined;
      let handle: { done: Promise<void>; abort: () => void } | undefined;
      let ended = false;
      const armStall = (): void => {
        stallTimer?.cancel();
        if (ended || this.stopped) return;
        // The clock's timers never keep the process alive by themselves.
        stallTimer = (this.opts.clock ?? realClock).setTimeout(() => {
          this.opts.onError?.(new Error(`${this.opts.name}: watch silent for ${timeout}s plus margin; re-establishing it`), 0, 0);
          this.restarts++;
          handle?.abort();
        // A stall is noticed after the timeout plus a margin: 30 s, or the
        // timeout itself when that is shorter (a short timeout, as the
        // reliability suite sets, then shows a stall within seconds).
        }, timeout * 1000 + (this.opts.stallMarginMs ?? Math.min(30_000, timeout * 1000)));
      };
      try {
        handle = await this.opts.http.watch(path, (ev) => {
          armStall();
          gone ||= this.apply(ev);
          if (gone) handle?.abort();
        });
        this.abortWatch = handle.abort;
        armStall();
        await handle.done.catch((e: unknown) => {
          if (!gone && !this.stopped) throw e;
        });
      } catch (e: unknown) {
        if (isKubeError(e, 'Gone')) throw new GoneError('resource version too old');
        throw e;
      } finally {
        ended = true;
        stallTimer?.cancel();
        this.abortWatch = undefined;
      }
      if (gone) throw new GoneError('resource version too old');
    }
  }

  /** Applies one watch event; returns true when the watch must relist (410 Gone). */
  private apply(ev: { type: string; object: unknown }): boolean {
    if (ev.type === 'ERROR') {
      const s = ev.object as { code?: number; message?: string };
      if (s.code === 410) return true;
      throw new Error(`${this.opts.name}: watch error ${s.code ?? '?'}: ${s.message ?? ''}`);
    }
    const obj = ev.object as T;
    slim(obj, this.strings);
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return false;
    const key = objectKey(obj);
    const prev = this.cache.get(key);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.opts.onChange(key, undefined, prev ?? obj);
    } else {
      this.cache.set(key, obj);
      this.opts.onChange(key, obj, prev);
    }
    return false;
  }
}
