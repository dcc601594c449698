// The operator's wiring (informers -> queue -> reconciler -> writes) against a
// structural fake of KubeHttp (list, watch and the few writes, in memory) and
// the fake Milvus. Real-apiserver behaviour is the integration suite's job.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { KubeApiError, type KubeHttp } from '../kube/http.ts';
import { createLogger } from '../log/logger.ts';
import { createOperatorMetrics } from '../metrics/operator-metrics.ts';
import { policy } from '../planner/testkit.ts';
import { until } from '../../test/env/wait.ts';
import { createOperator, onlyStatusChanged, type Operator, type OperatorOptions } from './operator.ts';
import type { ReconcileStats } from './reconcile.ts';
import { FakeMilvus } from './testkit.ts';

interface Req {
  method: string;
  path: string;
  body: unknown;
}

/** KubeHttp's call and watch over an in-memory set of policies (no budgets). */
class FakeApiServer {
  readonly policies = new Map<string, CollectionLoadPolicy>();
  readonly requests: Req[] = [];
  readonly watches: { path: string; send: (type: string, object: unknown) => void; end: () => void }[] = [];
  rv = 1;
  /** Fails every status PATCH with this, when set. */
  statusFailure: KubeApiError | undefined;
  /** Event POSTs wait for this, when set (an Events API that does not answer). */
  eventsAnswer: Promise<void> | undefined;

  put(p: CollectionLoadPolicy): CollectionLoadPolicy {
    const o = structuredClone(p);
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.uid ??= `uid-${o.metadata.name}`;
    this.policies.set(o.metadata.name, o);
    return o;
  }

  writes(): Req[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    await Promise.resolve();
    this.requests.push({ method, path, body });
    const reply = (b: unknown): { status: number; body: T } => ({ status: 200, body: b as T });
    if (method === 'GET' && path.split('?')[0]?.endsWith('/collectionloadpolicies')) return reply({ metadata: { resourceVersion: String(this.rv) }, items: [...this.policies.values()] });
    if (method === 'GET' && path.split('?')[0]?.endsWith('/collectionloadbudgets')) return reply({ metadata: { resourceVersion: String(this.rv) }, items: [] });
    if (method === 'GET' && path.includes('/secrets/')) throw new KubeApiError(404, 'NotFound', 'secret not found');
    const name = /collectionloadpolicies\/([^/]+)/.exec(path)?.[1] ?? '';
    const p = this.policies.get(name);
    if (method === 'PATCH' && path.endsWith('/status')) {
      if (this.statusFailure) throw this.statusFailure;
      if (!p) throw new KubeApiError(404, 'NotFound', 'not found');
      this.put({ ...p, status: (body as { status: CollectionLoadPolicy['status'] }).status });
      return reply({});
    }
    if (method === 'PATCH' && p) {
      this.put({ ...p, metadata: { ...p.metadata, finalizers: (body as { metadata: { finalizers: string[] } }).metadata.finalizers } });
      return reply({});
    }
    if (method === 'POST' && path.endsWith('/events')) {
      await this.eventsAnswer;
      return reply({});
    }
    throw new KubeApiError(404, 'NotFound', `${method} ${path}`);
  }

  async watch(path: string, onEvent: (ev: { type: string; object: unknown }) => void): Promise<{ done: Promise<void>; abort: () => void }> {
    await Promise.resolve();
    let end: () => void = () => undefined;
    const done = new Promise<void>((r) => (end = r));
    this.watches.push({ path, send: (type, object) => onEvent({ type, object }), end });
    return { done, abort: () => end() };
  }

  /** A user's edit, as the watch delivers it. */
  modify(name: string, f: (p: CollectionLoadPolicy) => void): void {
    const p = this.policies.get(name);
    if (!p) throw new Error(`no policy ${name}`);
    const next = structuredClone(p);
    f(next);
    const stored = this.put(next);
    for (const w of this.watches.filter((x) => x.path.includes('collectionloadpolicies'))) w.send('MODIFIED', stored);
  }
}

function start(t: TestContext, o: Partial<OperatorOptions> = {}) {
  const api = new FakeApiServer();
  const milvus = new FakeMilvus({ now: () => Date.now() });
  const stats: { instance: string; s: ReconcileStats }[] = [];
  const logs: string[] = [];
  const metrics = createOperatorMetrics('test');
  const make = (): Operator =>
    createOperator({
      http: api as unknown as KubeHttp,
      log: createLogger('debug', {}, (l) => logs.push(l)),
      portFactory: (s) => milvus.connect(s),
      namespaces: [],
      resyncMs: 60_000,
      concurrency: 2,
      dryRun: false,
      metrics,
      onReconciled: (instance, s) => stats.push({ instance, s }),
      ...o,
    });
  let op: Operator | undefined;
  const run = async (): Promise<Operator> => {
    op = make();
    await op.start();
    return op;
  };
  t.after(async () => op?.stop(0));
  return { api, milvus, stats, logs, metrics, run };
}

const fast = { timeoutMs: 10_000, intervalMs: 5 } as const;
const wait = (what: string, f: () => boolean): Promise<void> => until(what, async () => f(), fast.timeoutMs, fast.intervalMs);

describe('operator', () => {
  it('reconciles each instance once the caches are synced, and writes what the reconciler decided', async (t) => {
    const env = start(t);
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p' }));
    env.api.put(policy({ name: 'q', spec: { milvus: { uri: 'http://other-milvus:19530' }, selector: { names: ['c1'] } } }));
    const op = await env.run();
    await wait('both instances reconciled', () => new Set(env.stats.map((s) => s.instance)).size === 2);
    assert.ok(op.synced());
    assert.deepEqual([...new Set(env.stats.map((s) => s.instance))].sort(), ['milvus:19530', 'other-milvus:19530']);
    await wait('status written', () => env.api.policies.get('p')?.status !== undefined);
    assert.ok(env.milvus.count('load') >= 1);
    assert.equal(op.kubeFailure(), undefined);
    assert.match(await env.metrics.registry.metrics(), /milvus_load_operator_reconcile_total\{milvus="milvus:19530",result="ok"\} \d/);
    assert.match(await env.metrics.registry.metrics(), /milvus_load_operator_milvus_requests_total\{method="load",outcome="ok"\} [1-9]/);
  });

  it('dry run: plans and logs, writes nothing to Kubernetes, changes nothing in Milvus', async (t) => {
    const env = start(t, { dryRun: true });
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p', spec: { deletionPolicy: 'Release' } }));
    await env.run();
    await wait('a reconcile', () => env.stats.length > 0);
    assert.deepEqual(env.api.writes(), []);
    assert.equal(env.milvus.count('load'), 0);
    assert.ok(env.stats[0]?.s.plan.actions.some((a) => a.kind === 'load'));
    assert.ok(env.logs.some((l) => l.includes('dry run: would act')));
  });

  it('a standby fills its caches but reconciles nothing until it is activated; deactivate stops it again', async (t) => {
    const env = start(t, { standby: true });
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p' }));
    const op = await env.run();
    await wait('caches synced and the instance queued', () => op.synced() && op.queue.depth() === 1);
    assert.equal(env.stats.length, 0);
    assert.equal(op.queue.inFlight(), 0, 'the instance waits in the queue');
    assert.equal((await env.metrics.leader.get()).values[0]?.value, 0);
    op.activate();
    await wait('reconciled after activate', () => env.stats.length > 0 && op.queue.inFlight() === 0);
    assert.equal((await env.metrics.leader.get()).values[0]?.value, 1);
    op.deactivate();
    const before = env.stats.length;
    // The watch event enqueues synchronously; an active queue would start it at once.
    env.api.modify('p', (p) => (p.metadata.annotations = { 'milvusload.io/retry': '1' }));
    assert.deepEqual([op.queue.depth(), op.queue.inFlight()], [1, 0]);
    assert.equal(env.stats.length, before, 'nothing reconciled while deactivated');
    assert.equal(op.kubeFailure(), undefined);
  });

  it('a spec or annotation change enqueues the instance; a status-only change does not', async (t) => {
    const env = start(t);
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p' }));
    const op = await env.run();
    await wait('first reconcile', () => env.stats.length > 0);
    await op.queue.whenIdle();
    const n = env.stats.length;
    env.api.modify('p', (p) => (p.status = { ...p.status, lastSyncTime: '2026-11-23T10:05:00Z' }));
    await op.queue.whenIdle();
    assert.equal(env.stats.length, n);
    env.api.modify('p', (p) => (p.metadata.annotations = { 'milvusload.io/refresh': 'now' }));
    await wait('reconciled after the change', () => env.stats.length > n);
  });

  it('a policy change between resyncs is a pass over its database only; the gauges stay whole', async (t) => {
    const env = start(t);
    for (const db of ['a', 'b']) {
      env.milvus.add('c1', { database: db });
      env.api.put(policy({ name: `p-${db}`, spec: { milvus: { uri: 'http://milvus:19530', database: db }, selector: { names: ['c1'] } } }));
    }
    const op = await env.run();
    await wait('first reconcile', () => env.stats.length > 0);
    await op.queue.whenIdle();
    assert.equal(env.stats[0]?.s.partial, false, 'the first pass is whole');
    const listed: string[] = [];
    env.milvus.failWhen('listCollections', (args) => void listed.push(String(args[0])));
    const n = env.stats.length;
    env.api.modify('p-b', (p) => (p.metadata.annotations = { 'milvusload.io/refresh': 'now' }));
    await wait('reconciled after the change', () => env.stats.length > n);
    await op.queue.whenIdle();
    assert.equal(env.stats.at(-1)?.s.partial, true);
    assert.deepEqual([...new Set(listed)], ['b']);
    assert.match(await env.metrics.registry.metrics(), /milvus_load_operator_policies\{milvus="milvus:19530",ready="true"\} 2/);
  });

  it('reports Kubernetes API failures of a reconcile for readiness, and keeps retrying', async (t) => {
    const env = start(t, { maxBackoffMs: 50 });
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p' }));
    env.api.statusFailure = new KubeApiError(403, 'Forbidden', 'collectionloadpolicies/status is forbidden');
    const op = await env.run();
    await wait('kube failure reported', () => op.kubeFailure() !== undefined);
    assert.match(op.kubeFailure() ?? '', /forbidden/);
    assert.match(await env.metrics.registry.metrics(), /reconcile_errors_total\{milvus="milvus:19530",reason="KubernetesApi"\} [1-9]/);
    env.api.statusFailure = undefined;
    await wait('recovered', () => op.kubeFailure() === undefined);
  });

  it('an Events API that does not answer holds up no status: Events wait in the background and are written once it answers', async (t) => {
    const env = start(t);
    let answer: () => void = () => undefined;
    env.api.eventsAnswer = new Promise<void>((r) => (answer = r));
    for (const c of ['c1', 'c2']) env.milvus.add(c);
    env.api.put(policy({ name: 'p', spec: { selector: { names: ['c1'] } } }));
    env.api.put(policy({ name: 'q', spec: { selector: { names: ['c2'] } } }));
    await env.run();
    await wait('both statuses written', () => ['p', 'q'].every((n) => env.api.policies.get(n)?.status?.collections?.[0]?.state === 'Loaded'));
    await wait('the pass ended', () => env.stats.length > 0);
    const posted = (): number => env.api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events')).length;
    assert.ok(posted() >= 1, 'an Event was sent and is still unanswered');
    answer();
    await wait('every Event of the pass sent', () => posted() >= 2);
    assert.doesNotMatch(await env.metrics.registry.metrics(), /milvus_load_operator_events_lost_total\{/, 'nothing lost');
  });

  it('closes its Milvus clients on stop', async (t) => {
    const env = start(t);
    env.milvus.add('c1');
    env.api.put(policy({ name: 'p' }));
    const op = await env.run();
    await wait('a reconcile', () => env.stats.length > 0);
    await op.stop(1_000);
    assert.ok(env.milvus.clients.length > 0);
    assert.ok(env.milvus.clients.every((c) => c.closed));
  });
});

describe('onlyStatusChanged', () => {
  const meta = (m: Record<string, unknown>) => ({ metadata: { generation: 1, ...m } });
  it('is true only when nothing the planner reads changed', () => {
    assert.equal(onlyStatusChanged(meta({}), meta({})), true);
    assert.equal(onlyStatusChanged(meta({}), meta({ generation: 2 })), false);
    assert.equal(onlyStatusChanged(meta({}), meta({ annotations: { a: 'b' } })), false);
    assert.equal(onlyStatusChanged(meta({}), meta({ labels: { a: 'b' } })), false);
    assert.equal(onlyStatusChanged(meta({}), meta({ finalizers: ['f'] })), false);
    assert.equal(onlyStatusChanged(meta({}), meta({ deletionTimestamp: 'x' })), false);
    assert.equal(onlyStatusChanged(undefined, meta({})), false);
    assert.equal(onlyStatusChanged({ metadata: {} }, { metadata: {} }), false, 'no generation: cannot tell');
  });
});
