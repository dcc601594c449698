// In-memory fakes of the operator's two ports, a manual clock, and a harness
// that runs the real reconciler against them (test-only; used by the
// controller's unit tests). The fakes keep the contracts of the real sides:
// the Kubernetes fake bumps resourceVersion on every write, answers a stale
// one with Conflict and a gone object with NotFound, and deletes an object
// whose last finalizer goes while it is being deleted; the Milvus fake fails
// with MilvusErrors built by classifyStatus/classifyThrown from the codes and
// texts real servers send (docs/test-environment.md).
import type { CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { KubeApiError, type KubeErrorKind } from '../kube/http.ts';
import type { KubePort } from '../kube/port.ts';
import type { EventRecord, SecretData, SecretObject } from '../kube/resources.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { classifyStatus, classifyThrown, type MilvusError, type MilvusErrorReason } from '../milvus/errors.ts';
import type { CollectionListing, ConnectionSettings, LoadRequest, LoadAccepted, MilvusPort, PartitionListing, ReleaseRequest, ReplicaInfo, SchemaSummary } from '../milvus/port.ts';
import { supportsLoadPriority } from '../milvus/versions.ts';
import { UsageWatches, type UsageReaderFactory } from './usage.ts';
import { ConnectionPool } from './connections.ts';
import { EstimateCache } from './observe.ts';
import type { Outcome } from './queue.ts';
import { createReconciler, type PassRequest, type ReconcilerDeps, type ReconcileStats } from './reconcile.ts';

/** A clock that moves only when the test says so. */
export class FakeClock {
  private t: number;
  constructor(start: number) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(at: number): void {
    this.t = at;
  }
}

const STATUS_OF: Readonly<Record<KubeErrorKind, number>> = { NotFound: 404, Conflict: 409, Forbidden: 403, Unauthorized: 401, Gone: 410, Invalid: 422, Unavailable: 503, Other: 418 };

/** The error the real KubeHttp throws for a failed call of this kind. */
export function kubeError(kind: KubeErrorKind, message = `injected ${kind}`): KubeApiError {
  return new KubeApiError(STATUS_OF[kind], kind, message);
}

type KubeMethod = keyof KubePort;
/** Runs before a call (may change the fake's state, e.g. delete the object); a thrown error is the call's answer. */
type Interceptor = (args: readonly unknown[]) => void;

export interface StatusPatch {
  readonly namespace: string;
  readonly name: string;
  readonly previous: object | undefined;
  readonly next: object;
}

/**
 * KubePort in memory. `list()` is what the informer cache would hold: here
 * it sees every write at once (the apiserver's watch, without lag).
 */
export class FakeKube implements KubePort {
  private readonly objects = new Map<string, CollectionLoadPolicy>();
  private readonly secrets = new Map<string, SecretObject>();
  private readonly interceptors = new Map<KubeMethod, Interceptor[]>();
  private rv = 100;
  readonly calls = new Map<KubeMethod, number>();
  readonly statusPatches: StatusPatch[] = [];
  readonly budgetPatches: { name: string; next: object }[] = [];
  readonly events: EventRecord[] = [];
  readonly finalizerWrites: { namespace: string; name: string; finalizers: string[] }[] = [];

  private key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  private bump(p: CollectionLoadPolicy): CollectionLoadPolicy {
    const next = structuredClone(p);
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(next.metadata.namespace ?? 'default', next.metadata.name), next);
    return next;
  }

  /** Creates or replaces a policy (a user's `kubectl apply`); a spec change bumps the generation as the apiserver does. */
  apply(p: CollectionLoadPolicy): CollectionLoadPolicy {
    const old = this.objects.get(this.key(p.metadata.namespace ?? 'default', p.metadata.name));
    const next = structuredClone(p);
    next.metadata.uid ??= old?.metadata.uid ?? `uid-${p.metadata.name}`;
    if (old) {
      next.status = old.status;
      next.metadata.finalizers = p.metadata.finalizers ?? old.metadata.finalizers;
      const specChanged = JSON.stringify(old.spec) !== JSON.stringify(p.spec);
      next.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    }
    return this.bump(next);
  }

  /** Edits the stored object in place (annotations, status...), bumping resourceVersion. */
  edit(namespace: string, name: string, f: (p: CollectionLoadPolicy) => void): CollectionLoadPolicy {
    const p = this.get(namespace, name);
    if (!p) throw new Error(`no policy ${namespace}/${name}`);
    const next = structuredClone(p);
    f(next);
    return this.bump(next);
  }

  /** `kubectl delete`: gone at once without finalizers, else marked for deletion. */
  delete(namespace: string, name: string, at: number): void {
    const p = this.get(namespace, name);
    if (!p) return;
    if ((p.metadata.finalizers ?? []).length === 0) this.objects.delete(this.key(namespace, name));
    else this.edit(namespace, name, (x) => (x.metadata.deletionTimestamp = new Date(at).toISOString()));
  }

  get(namespace: string, name: string): CollectionLoadPolicy | undefined {
    return this.objects.get(this.key(namespace, name));
  }

  list(): CollectionLoadPolicy[] {
    return [...this.objects.values()].map((p) => structuredClone(p));
  }

  /** Creates or replaces a Secret; `annotations` say where its credentials may be sent (ADR 0008). */
  putSecret(namespace: string, name: string, data: SecretData, annotations: Record<string, string> = {}): void {
    this.secrets.set(this.key(namespace, name), { data: { ...data }, annotations: { ...annotations } });
  }

  removeSecret(namespace: string, name: string): void {
    this.secrets.delete(this.key(namespace, name));
  }

  /** The next `times` calls of `method` run `f` first (it may change state or throw). */
  intercept(method: KubeMethod, f: Interceptor, times = 1): void {
    const list = this.interceptors.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(f);
    this.interceptors.set(method, list);
  }

  /** The next `times` calls of `method` fail with this kind. */
  failNext(method: KubeMethod, kind: KubeErrorKind, times = 1): void {
    this.intercept(
      method,
      () => {
        throw kubeError(kind);
      },
      times,
    );
  }

  count(method: KubeMethod): number {
    return this.calls.get(method) ?? 0;
  }

  /** Counts the call, runs its interceptor, and yields once, as a real request would. */
  private async enter(method: KubeMethod, args: readonly unknown[]): Promise<void> {
    await Promise.resolve();
    this.calls.set(method, this.count(method) + 1);
    this.interceptors.get(method)?.shift()?.(args);
  }

  async getSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    await this.enter('getSecret', [namespace, name]);
    const s = this.secrets.get(this.key(namespace, name));
    return s ? structuredClone(s) : undefined;
  }

  async getPolicy(namespace: string, name: string): Promise<CollectionLoadPolicy | undefined> {
    await this.enter('getPolicy', [namespace, name]);
    const p = this.get(namespace, name);
    return p ? structuredClone(p) : undefined;
  }

  async patchPolicyStatus(namespace: string, name: string, previous: object | undefined, next: object): Promise<void> {
    await this.enter('patchPolicyStatus', [namespace, name, previous, next]);
    if (!this.get(namespace, name)) throw kubeError('NotFound', `collectionloadpolicies "${name}" not found`);
    this.statusPatches.push({ namespace, name, previous, next: structuredClone(next) });
    this.edit(namespace, name, (p) => (p.status = structuredClone(next)));
  }

  async patchBudgetStatus(name: string, _previous: object | undefined, next: object): Promise<void> {
    await this.enter('patchBudgetStatus', [name, next]);
    this.budgetPatches.push({ name, next: structuredClone(next) });
  }

  async setFinalizers(namespace: string, name: string, resourceVersion: string, finalizers: string[]): Promise<void> {
    await this.enter('setFinalizers', [namespace, name, resourceVersion, finalizers]);
    const p = this.get(namespace, name);
    if (!p) throw kubeError('NotFound', `collectionloadpolicies "${name}" not found`);
    if (resourceVersion !== p.metadata.resourceVersion) throw kubeError('Conflict', `the object has been modified; please apply your changes to the latest version and try again`);
    const added = finalizers.some((f) => !(p.metadata.finalizers ?? []).includes(f));
    if (p.metadata.deletionTimestamp && added) throw kubeError('Invalid', 'no new finalizers can be added if the object is being deleted');
    this.finalizerWrites.push({ namespace, name, finalizers: [...finalizers] });
    if (p.metadata.deletionTimestamp && finalizers.length === 0) {
      this.objects.delete(this.key(namespace, name));
      return;
    }
    this.edit(namespace, name, (x) => (x.metadata.finalizers = [...finalizers]));
  }

  async recordEvent(ev: EventRecord): Promise<void> {
    await this.enter('recordEvent', [ev]);
    this.events.push(ev);
  }
}

/** Statuses and thrown errors as real servers send them, by the reason they must classify to. */
export const REAL_FAILURES: Readonly<Record<Exclude<MilvusErrorReason, 'MilvusError'>, { readonly status?: { code?: number; error_code?: string | number; reason?: string }; readonly thrown?: { code?: number; details?: string; message?: string } }>> = {
  CollectionNotFound: { status: { code: 100, error_code: 'UnexpectedError', reason: "can't find collection[database=default][collection=c1]: collection not found" } },
  CollectionNotLoaded: { status: { code: 101, error_code: 101, reason: 'collection not loaded[collection=c1]' } },
  DatabaseNotFound: { status: { code: 800, error_code: 'UnexpectedError', reason: 'database not found[database=nope]' } },
  PartitionNotFound: { status: { code: 200, error_code: 'UnexpectedError', reason: 'partition not found[partition=p9]' } },
  IndexNotFound: { status: { code: 700, error_code: 'IndexNotExist', reason: 'index not found[collection=c1]' } },
  InsufficientMemory: { status: { code: 65535, error_code: 'InsufficientMemoryToLoad', reason: 'load collection failed, OOM if load, maxSegmentSize = 512 MB, memUsage = 7 GB, totalMem = 8 GB' } },
  NotEnoughQueryNodes: { status: { code: 65535, error_code: 'UnexpectedError', reason: 'failed to spawn replica for collection: nodes not enough' } },
  AuthenticationFailed: { status: { code: 1800, error_code: 'AuthenticationFailed', reason: 'auth check failure, please check username and password are correct' } },
  PermissionDenied: { status: { code: 65535, error_code: 'PermissionDenied', reason: 'PrivilegeLoad: permission deny to alice in the `default` database' } },
  ReconfigureRefused: { status: { code: 1100, error_code: 'UnexpectedError', reason: "can't change the replica number for loaded collection: expected=1, actual=2" } },
  InvalidRequest: { status: { code: 1100, error_code: 'IllegalArgument', reason: 'given resource group not found[rg=rg-missing]: invalid parameter' } },
  Unimplemented: { thrown: { code: 12, details: 'Method not found: milvus.proto.milvus.MilvusService/LoadCollection' } },
  MilvusUnavailable: { thrown: { code: 14, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:19530' } },
  MilvusTimeout: { thrown: { code: 4, details: 'Deadline exceeded after 30.001s' } },
};

/** The MilvusError a real server's answer classifies to, for `method`. */
export function realFailure(reason: keyof typeof REAL_FAILURES, method: string): MilvusError {
  const f = REAL_FAILURES[reason];
  return f.status ? classifyStatus(method, f.status) : classifyThrown(method, f.thrown);
}

export interface FakeCollection {
  indexed: boolean;
  /** undefined: not loaded; 0-100 while loading/loaded. */
  percent?: number;
  replicas: number;
  resourceGroups: string[];
  partitions: Map<string, number | undefined>;
  rows: number;
}

type MilvusMethod = Exclude<keyof MilvusPort, 'close'>;
type MilvusInterceptor = (args: readonly unknown[]) => MilvusError | undefined;

/**
 * One Milvus server in memory, shared by every client the pool opens
 * (`connect`). A load completes at once unless `loadSteps` > 1 (each
 * listing then moves a loading collection on by 100/loadSteps).
 */
export class FakeMilvus {
  readonly databases = new Map<string, Map<string, FakeCollection>>([['default', new Map()]]);
  readonly calls = new Map<MilvusMethod, number>();
  readonly loads: { at: number; collection: string; req: LoadRequest }[] = [];
  readonly releases: { at: number; collection: string }[] = [];
  readonly clients: { settings: ConnectionSettings; closed: boolean }[] = [];
  private readonly interceptors = new Map<MilvusMethod, MilvusInterceptor[]>();
  private readonly sticky = new Map<MilvusMethod, MilvusInterceptor>();
  /** Standalone 2.3.5 sends no percentages with ShowCollections(All); Lite does. */
  percentInList = false;
  loadSteps = 1;
  /** What GetVersion answers: load priority needs 2.6. */
  version = 'v2.3.5';
  /** Down: every call fails as an unreachable server does. */
  down = false;
  private readonly clock: { now(): number };

  constructor(clock: { now(): number }) {
    this.clock = clock;
  }

  add(name: string, o: Partial<FakeCollection> & { database?: string } = {}): void {
    const db = this.databases.get(o.database ?? 'default') ?? new Map<string, FakeCollection>();
    this.databases.set(o.database ?? 'default', db);
    db.set(name, { indexed: o.indexed ?? true, replicas: o.replicas ?? 1, resourceGroups: o.resourceGroups ?? ['__default_resource_group'], partitions: o.partitions ?? new Map([['_default', undefined]]), rows: o.rows ?? 1000, ...(o.percent !== undefined ? { percent: o.percent } : {}) });
  }

  collection(name: string, database = 'default'): FakeCollection {
    const c = this.databases.get(database)?.get(name);
    if (!c) throw new Error(`no collection ${database}/${name}`);
    return c;
  }

  count(method: MilvusMethod): number {
    return this.calls.get(method) ?? 0;
  }

  /** ShowCollections as the server counts it (both listings are that RPC). */
  showCollections(): number {
    return this.count('listCollections') + this.count('listLoaded');
  }

  /** The next `times` calls of `method` fail with `error`. */
  failNext(method: MilvusMethod, error: MilvusError, times = 1): void {
    const list = this.interceptors.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(() => error);
    this.interceptors.set(method, list);
  }

  /** Every call of `method` for which `f` returns an error fails with it, until `clearFailures`. */
  failWhen(method: MilvusMethod, f: MilvusInterceptor): void {
    this.sticky.set(method, f);
  }

  clearFailures(): void {
    this.interceptors.clear();
    this.sticky.clear();
  }

  /** A client, as the pool's PortFactory makes one. */
  connect(settings: ConnectionSettings): MilvusPort {
    const client = { settings, closed: false };
    this.clients.push(client);
    return this.port(client);
  }

  private async enter(method: MilvusMethod, args: readonly unknown[]): Promise<void> {
    await Promise.resolve();
    this.calls.set(method, this.count(method) + 1);
    if (this.down) throw realFailure('MilvusUnavailable', method);
    const e = this.interceptors.get(method)?.shift()?.(args) ?? this.sticky.get(method)?.(args);
    if (e) throw e;
  }

  private db(method: string, name: string): Map<string, FakeCollection> {
    const db = this.databases.get(name);
    if (!db) throw classifyStatus(method, { code: 800, error_code: 'UnexpectedError', reason: `database not found[database=${name}]` });
    return db;
  }

  private coll(method: string, database: string, name: string): FakeCollection {
    const c = this.db(method, database).get(name);
    if (!c) throw classifyStatus(method, { code: 100, error_code: 'UnexpectedError', reason: `can't find collection[database=${database}][collection=${name}]: collection not found` });
    return c;
  }

  private step(db: Map<string, FakeCollection>): void {
    for (const c of db.values()) if (c.percent !== undefined && c.percent < 100) c.percent = Math.min(100, c.percent + Math.ceil(100 / this.loadSteps));
  }

  private port(client: { closed: boolean }): MilvusPort {
    const ensureOpen = (method: string): void => {
      if (client.closed) throw classifyThrown(method, new Error('the client was closed'));
    };
    return {
      listCollections: async (database): Promise<CollectionListing[]> => {
        ensureOpen('ShowCollections');
        await this.enter('listCollections', [database]);
        const db = this.db('ShowCollections', database);
        this.step(db);
        return [...db].map(([name, c]) => ({ name, id: `id-${name}`, ...(this.percentInList ? { loadedPercent: c.percent ?? 0 } : {}) }));
      },
      listLoaded: async (database): Promise<CollectionListing[]> => {
        await this.enter('listLoaded', [database]);
        return [...this.db('ShowCollections', database)].filter(([, c]) => c.percent !== undefined).map(([name, c]) => ({ name, loadedPercent: c.percent ?? 0 }));
      },
      loadProgress: async (database, collection): Promise<number> => {
        await this.enter('loadProgress', [database, collection]);
        const c = this.coll('GetLoadingProgress', database, collection);
        if (c.percent === undefined) throw realFailure('CollectionNotLoaded', 'GetLoadingProgress');
        return c.percent;
      },
      listPartitions: async (database, collection): Promise<PartitionListing[]> => {
        await this.enter('listPartitions', [database, collection]);
        return [...this.coll('ShowPartitions', database, collection).partitions].map(([name, p]) => ({ name, loadedPercent: p ?? 0 }));
      },
      describe: async (database, collection): Promise<SchemaSummary> => {
        await this.enter('describe', [database, collection]);
        this.coll('DescribeCollection', database, collection);
        return { id: `id-${collection}`, bytesPerRow: 520 };
      },
      rowCount: async (database, collection): Promise<number> => {
        await this.enter('rowCount', [database, collection]);
        return this.coll('GetCollectionStatistics', database, collection).rows;
      },
      segmentMemory: async (database, collection): Promise<number | undefined> => {
        await this.enter('segmentMemory', [database, collection]);
        const c = this.coll('GetQuerySegmentInfo', database, collection);
        return c.percent === 100 ? c.rows * 600 : undefined;
      },
      replicas: async (database, collectionId): Promise<ReplicaInfo | undefined> => {
        await this.enter('replicas', [database, collectionId]);
        const c = this.coll('GetReplicas', database, collectionId.replace(/^id-/, ''));
        return { replicas: c.replicas, resourceGroups: Array.from({ length: c.replicas }, (_, i) => c.resourceGroups[i % c.resourceGroups.length] ?? '') };
      },
      load: async (req: LoadRequest): Promise<LoadAccepted> => {
        ensureOpen('LoadCollection');
        this.loads.push({ at: this.clock.now(), collection: req.collection, req });
        await this.enter('load', [req]);
        const c = this.coll('LoadCollection', req.database, req.collection);
        if (!c.indexed) throw realFailure('IndexNotFound', 'LoadCollection');
        for (const p of req.partitions ?? []) {
          if (!c.partitions.has(p)) throw realFailure('PartitionNotFound', 'LoadPartitions');
          c.partitions.set(p, 100);
        }
        c.replicas = req.replicas;
        if (req.resourceGroups.length > 0) c.resourceGroups = [...req.resourceGroups];
        if (!req.partitions) c.percent = this.loadSteps > 1 ? (c.percent ?? 0) : 100;
        return req.priority && !supportsLoadPriority(this.version) ? { priorityIgnoredBy: this.version } : {};
      },
      release: async (req: ReleaseRequest): Promise<void> => {
        this.releases.push({ at: this.clock.now(), collection: req.collection });
        await this.enter('release', [req]);
        const c = this.coll('ReleaseCollection', req.database, req.collection);
        for (const p of req.partitions ?? []) c.partitions.set(p, undefined);
        if (!req.partitions) delete c.percent;
      },
      close: async (): Promise<void> => {
        await Promise.resolve();
        client.closed = true;
      },
    };
  }
}

export interface HarnessOptions {
  readonly start: number;
  readonly resyncMs?: number;
  readonly dryRun?: boolean;
  readonly deletionGraceMs?: number;
  readonly budgets?: CollectionLoadBudget[];
  /** Usage readers per source (budgets' spec.usage); absent: no usage watching. */
  readonly usageReaders?: UsageReaderFactory;
}

/** The real reconciler wired to the fakes, and a loop that drives it the way the work queue does. */
export class Harness {
  readonly clock: FakeClock;
  readonly kube: FakeKube;
  readonly milvus: FakeMilvus;
  readonly pool: ConnectionPool;
  readonly logs: string[] = [];
  readonly log: Logger;
  readonly stats: ReconcileStats[] = [];
  readonly deps: ReconcilerDeps;
  budgets: CollectionLoadBudget[];
  private reconcile: (instance: string, req?: PassRequest) => Promise<Outcome>;

  constructor(o: HarnessOptions) {
    this.clock = new FakeClock(o.start);
    this.kube = new FakeKube();
    this.milvus = new FakeMilvus(this.clock);
    this.pool = new ConnectionPool((s) => this.milvus.connect(s));
    this.log = createLogger('debug', {}, (line) => this.logs.push(line));
    this.budgets = o.budgets ?? [];
    this.deps = {
      kube: this.kube,
      pool: this.pool,
      cache: new EstimateCache(),
      log: this.log,
      now: () => this.clock.now(),
      policies: () => this.kube.list(),
      budgets: () => this.budgets,
      settings: { resyncMs: o.resyncMs ?? 30_000, pollMs: 2_000, actionConcurrency: 4, dryRun: o.dryRun ?? false, statusHeartbeatMs: 10 * 60_000, ...(o.deletionGraceMs !== undefined ? { deletionGraceMs: o.deletionGraceMs } : {}) },
      onReconciled: (_i, s) => this.stats.push(s),
      ...(o.usageReaders ? { usage: new UsageWatches(() => this.clock.now(), o.usageReaders) } : {}),
    };
    this.reconcile = createReconciler(this.deps);
  }

  /** A new reconciler (an operator restart): same cluster, same Milvus, empty memory. */
  restart(): void {
    this.reconcile = createReconciler(this.deps);
  }

  /** A pass over the whole instance, or over what `req` names (the cells of some databases). */
  pass(instance = 'milvus:19530', req?: PassRequest): Promise<Outcome> {
    return this.reconcile(instance, req);
  }

  /** Every database the full listing (ShowCollections, type All) was asked about, in order. */
  spyListings(): string[] {
    const seen: string[] = [];
    const spy = (args: readonly unknown[]): undefined => void seen.push(String(args[0]));
    this.milvus.failWhen('listCollections', spy);
    return seen;
  }

  /**
   * Runs passes as the queue would (after `requeueAfterMs`, or `failedRetryMs`
   * after a failed pass) until `durationMs` of fake time has gone by.
   * Returns the number of passes.
   */
  async drive(durationMs: number, instance = 'milvus:19530', failedRetryMs = 5_000): Promise<number> {
    const end = this.clock.now() + durationMs;
    let passes = 0;
    while (this.clock.now() < end) {
      const o = await this.pass(instance);
      passes++;
      this.clock.advance(o.ok ? Math.max(1, o.requeueAfterMs ?? this.deps.settings.resyncMs) : failedRetryMs);
    }
    return passes;
  }

  status(name: string, namespace = 'team'): NonNullable<CollectionLoadPolicy['status']> {
    const s = this.kube.get(namespace, name)?.status;
    if (!s) throw new Error(`policy ${namespace}/${name} has no status`);
    return s;
  }

  condition(name: string, type: string, namespace = 'team'): { status: string; reason: string; message: string } {
    const c = this.status(name, namespace).conditions?.find((x) => x.type === type);
    if (!c) throw new Error(`policy ${namespace}/${name} has no ${type} condition`);
    return c;
  }

  entry(name: string, collection: string, namespace = 'team'): NonNullable<NonNullable<CollectionLoadPolicy['status']>['collections']>[number] {
    const e = this.status(name, namespace).collections?.find((c) => c.name === collection);
    if (!e) throw new Error(`policy ${namespace}/${name} has no status entry for ${collection}`);
    return e;
  }
}
