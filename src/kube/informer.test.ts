// The informer against a structural fake of KubeHttp's two calls (list and
// watch), with Node's mock timers for its backoff and stall watchdog.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { KubeApiError, type KubeHttp } from './http.ts';
import { Informer, objectKey, type KubeObject } from './informer.ts';

interface Obj extends KubeObject {
  spec?: { v: number };
}

interface OpenWatch {
  readonly path: string;
  readonly send: (type: string, object: unknown) => void;
  readonly end: () => void;
  readonly fail: (e: Error) => void;
  aborted: boolean;
}

/** KubeHttp's list and watch, scripted by the test. */
class FakeHttp {
  items = new Map<string, Obj>();
  rv = 10;
  listFailures: Error[] = [];
  watchFailures: Error[] = [];
  lists = 0;
  readonly listPaths: string[] = [];
  /** Continue tokens the server answers 410 for (expired). */
  expiredTokens = new Set<string>();
  readonly watches: OpenWatch[] = [];

  put(name: string, v: number): Obj {
    const o: Obj = { metadata: { name, namespace: 'ns', resourceVersion: String(++this.rv) }, spec: { v } };
    this.items.set(name, o);
    return o;
  }

  /** Pages as the apiserver does: `limit` objects, then a `continue` token for the rest. */
  async call<T>(method: string, path: string): Promise<{ status: number; body: T }> {
    await Promise.resolve();
    assert.equal(method, 'GET');
    this.lists++;
    this.listPaths.push(path);
    const f = this.listFailures.shift();
    if (f) throw f;
    const q = new URLSearchParams(path.split('?')[1] ?? '');
    const token = q.get('continue') ?? '';
    if (this.expiredTokens.has(token)) throw new KubeApiError(410, 'Expired', 'the provided continue parameter is too old');
    const all = [...this.items.values()];
    const from = token ? Number(token) : 0;
    const limit = q.has('limit') ? Number(q.get('limit')) : all.length;
    const rest = from + limit < all.length ? String(from + limit) : undefined;
    return { status: 200, body: { metadata: { resourceVersion: String(this.rv), ...(rest ? { continue: rest } : {}) }, items: all.slice(from, from + limit) } as T };
  }

  async watch(path: string, onEvent: (ev: { type: string; object: unknown }) => void): Promise<{ done: Promise<void>; abort: () => void }> {
    await Promise.resolve();
    const f = this.watchFailures.shift();
    if (f) throw f;
    let end: () => void = () => undefined;
    let fail: (e: Error) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      end = res;
      fail = rej;
    });
    // As in KubeHttp.watch: a callback that throws ends the stream with that error.
    const send = (type: string, object: unknown): void => {
      try {
        onEvent({ type, object });
      } catch (e: unknown) {
        fail(e as Error);
      }
    };
    const w: OpenWatch = { path, send, end, fail, aborted: false };
    this.watches.push(w);
    return {
      done,
      abort: () => {
        w.aborted = true;
        end();
      },
    };
  }

  current(): OpenWatch {
    const w = this.watches.at(-1);
    if (!w) throw new Error('no watch open');
    return w;
  }
}

/** Lets pending promise callbacks run (setImmediate is not mocked) until `cond` holds. */
async function settle(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

function setup(t: TestContext, opts: { watchTimeoutSeconds?: number; stallMarginMs?: number; pageSize?: number } = {}, prepare?: (http: FakeHttp) => void) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const http = new FakeHttp();
  prepare?.(http);
  const changes: string[] = [];
  const errors: { message: string; attempt: number; retryInMs: number }[] = [];
  let synced = 0;
  const inf = new Informer<Obj>({
    name: 'test',
    http: http as unknown as KubeHttp,
    path: '/apis/x/v1/things',
    onChange: (key, cur, prev) => changes.push(`${key} ${prev?.spec?.v ?? '-'}->${cur?.spec?.v ?? '-'}`),
    onError: (err, attempt, retryInMs) => errors.push({ message: err.message, attempt, retryInMs }),
    onSynced: () => synced++,
    ...opts,
  });
  const run = inf.start();
  t.after(async () => {
    inf.stop();
    await run;
  });
  return { http, inf, changes, errors, synced: () => synced, run };
}

describe('Informer', () => {
  it('lists, reports synced once, then applies watch events from the listed resourceVersion', async (t) => {
    const { http, inf, changes, synced } = setup(t);
    await settle('first watch', () => http.watches.length === 1);
    assert.equal(synced(), 1);
    assert.match(http.current().path, /\?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=10$/);
    http.current().send('ADDED', http.put('a', 1));
    http.current().send('MODIFIED', http.put('a', 2));
    http.current().send('BOOKMARK', { metadata: { name: '', resourceVersion: '99' } });
    assert.deepEqual(changes, ['ns/a -->1', 'ns/a 1->2']);
    assert.equal(inf.get('ns/a')?.spec?.v, 2);
    http.current().send('DELETED', { ...inf.get('ns/a'), metadata: { name: 'a', namespace: 'ns', resourceVersion: '100' } });
    assert.deepEqual(inf.list(), []);
    assert.equal(changes.at(-1), 'ns/a 2->-');
    // The server closes the watch at its timeout: reopened from the last resourceVersion seen.
    http.current().end();
    await settle('second watch', () => http.watches.length === 2);
    assert.match(http.current().path, /resourceVersion=100$/);
    assert.equal(http.lists, 1, 'no relist for a normal close');
    assert.equal(synced(), 1);
  });

  it('lists page by page, and watches from the resourceVersion of the whole list', async (t) => {
    const { http, inf, synced } = setup(t, { pageSize: 2 }, (h) => ['a', 'b', 'c', 'd', 'e'].forEach((n) => h.put(n, 1)));
    await settle('watch', () => http.watches.length === 1);
    assert.deepEqual(http.listPaths, ['/apis/x/v1/things?limit=2', '/apis/x/v1/things?limit=2&continue=2', '/apis/x/v1/things?limit=2&continue=4']);
    assert.deepEqual(inf.list().map((o) => o.metadata.name), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(synced(), 1, 'synced once, after the last page');
    assert.match(http.current().path, /resourceVersion=15$/);
  });

  it('caches objects without metadata.managedFields, from lists and from watch events', async (t) => {
    const managed = [{ manager: 'milvus-load-operator', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } }];
    const { http, inf } = setup(t, {}, (h) => {
      const o = h.put('a', 1);
      (o.metadata as { managedFields?: unknown }).managedFields = managed;
    });
    await settle('watch', () => http.watches.length === 1);
    assert.equal('managedFields' in (inf.get('ns/a')?.metadata ?? {}), false, 'listed');
    const b = http.put('b', 1);
    http.current().send('ADDED', { ...b, metadata: { ...b.metadata, managedFields: managed } });
    assert.equal(inf.get('ns/b')?.spec?.v, 1);
    assert.equal('managedFields' in (inf.get('ns/b')?.metadata ?? {}), false, 'watched');
  });

  it("caches objects without kubectl's last-applied-configuration, keeping their other annotations", async (t) => {
    const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"v":1}}', 'milvusload.io/refresh': 'r1' };
    const { http, inf } = setup(t, {}, (h) => {
      const o = h.put('a', 1);
      (o.metadata as { annotations?: unknown }).annotations = { ...annotations };
    });
    await settle('watch', () => http.watches.length === 1);
    assert.deepEqual((inf.get('ns/a')?.metadata as { annotations?: unknown }).annotations, { 'milvusload.io/refresh': 'r1' }, 'listed');
    const b = http.put('b', 1);
    http.current().send('MODIFIED', { ...b, metadata: { ...b.metadata, annotations: { ...annotations } } });
    assert.deepEqual((inf.get('ns/b')?.metadata as { annotations?: unknown }).annotations, { 'milvusload.io/refresh': 'r1' }, 'watched');
  });

  it('an expired continue token falls back to one LIST without pages, as client-go does', async (t) => {
    const { http, inf, errors } = setup(t, { pageSize: 2 }, (h) => {
      ['a', 'b', 'c'].forEach((n) => h.put(n, 1));
      h.expiredTokens.add('2');
    });
    await settle('watch', () => http.watches.length === 1);
    assert.deepEqual(http.listPaths, ['/apis/x/v1/things?limit=2', '/apis/x/v1/things?limit=2&continue=2', '/apis/x/v1/things']);
    assert.deepEqual(inf.list().map((o) => o.metadata.name), ['a', 'b', 'c']);
    assert.deepEqual(errors, [], 'not an error: no backoff');
  });

  it('relists at once on a 410 Gone event, and drops what disappeared meanwhile', async (t) => {
    const { http, inf, changes, errors } = setup(t);
    http.put('a', 1);
    http.put('b', 1);
    await settle('watch', () => http.watches.length === 1);
    http.items.delete('a');
    http.put('b', 2);
    http.current().send('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    await settle('relist and new watch', () => http.watches.length === 2);
    assert.equal(http.lists, 2);
    assert.ok(http.watches[0]?.aborted);
    assert.deepEqual(errors, [], 'a 410 is not an error');
    assert.deepEqual(inf.list().map(objectKey), ['ns/b']);
    assert.deepEqual(changes.slice(2), ['ns/b 1->2', 'ns/a 1->-']);
  });

  it('relists at once when opening the watch answers 410', async (t) => {
    const { http, errors } = setup(t);
    http.watchFailures.push(new KubeApiError(410, 'Expired', 'too old resource version'));
    await settle('relist and a watch', () => http.watches.length === 1);
    assert.equal(http.lists, 2);
    assert.deepEqual(errors, []);
  });

  it('restarts with growing, jittered backoff after errors, and resets it after a good list', async (t) => {
    const { http, errors } = setup(t);
    http.listFailures.push(new KubeApiError(503, 'ServiceUnavailable', 'apiserver down'), new KubeApiError(0, 'Unreachable', 'connect ECONNREFUSED'));
    await settle('first error', () => errors.length === 1);
    assert.deepEqual([errors[0]?.attempt, errors[0]?.message], [1, 'apiserver down']);
    assert.ok((errors[0]?.retryInMs ?? 0) >= 250 && (errors[0]?.retryInMs ?? 0) <= 500);
    t.mock.timers.tick(500);
    await settle('second error', () => errors.length === 2);
    assert.equal(errors[1]?.attempt, 2);
    assert.ok((errors[1]?.retryInMs ?? 0) >= 500 && (errors[1]?.retryInMs ?? 0) <= 1000);
    t.mock.timers.tick(1000);
    await settle('watch after recovery', () => http.watches.length === 1);
    http.current().send('ERROR', { code: 500, message: 'internal error' });
    await settle('watch error reported', () => errors.length === 3);
    assert.deepEqual([errors[2]?.attempt, errors[2]?.message], [1, 'test: watch error 500: internal error']);
  });

  it('a watch stream that fails is restarted with backoff', async (t) => {
    const { http, errors, inf } = setup(t);
    await settle('watch', () => http.watches.length === 1);
    http.current().fail(new KubeApiError(0, 'Unreachable', 'socket hang up'));
    await settle('error', () => errors.length === 1);
    assert.equal(inf.restarts, 1);
    t.mock.timers.tick(500);
    await settle('relist and watch', () => http.watches.length === 2);
    assert.equal(http.lists, 2);
  });

  it('notices a watch that stays silent past its timeout plus the margin, and re-opens it', async (t) => {
    const { http, errors, inf } = setup(t, { watchTimeoutSeconds: 10, stallMarginMs: 5_000 });
    await settle('watch', () => http.watches.length === 1);
    t.mock.timers.tick(14_000);
    http.current().send('BOOKMARK', { metadata: { name: '', resourceVersion: '11' } });
    t.mock.timers.tick(14_000);
    assert.equal(errors.length, 0, 'an event re-arms the watchdog');
    t.mock.timers.tick(1_000);
    await settle('stall noticed', () => errors.length === 1);
    assert.match(errors[0]?.message ?? '', /watch silent for 10s plus margin/);
    assert.ok(http.watches[0]?.aborted);
    assert.equal(inf.restarts, 1);
    await settle('watch re-opened', () => http.watches.length === 2);
    assert.match(http.current().path, /resourceVersion=11$/);
  });

  it('stops: the run ends and no watch is re-opened', async (t) => {
    const { http, inf, run } = setup(t);
    await settle('watch', () => http.watches.length === 1);
    inf.stop();
    await run;
    assert.ok(http.watches[0]?.aborted);
    assert.equal(http.watches.length, 1);
    assert.equal(inf.hasSynced(), true);
  });

  it('stops while waiting out a backoff', async (t) => {
    const { http, inf, errors, run } = setup(t);
    http.listFailures.push(new Error('boom'));
    await settle('error', () => errors.length === 1);
    inf.stop();
    await run;
    assert.equal(http.lists, 1);
  });
});
