// The Kubernetes port over KubeHttp: the requests it sends and how it reads
// failures (by kind, never by status code in its callers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKubeError, KubeApiError, kubeErrorKind, type KubeHttp } from './http.ts';
import { kubePort } from './port.ts';
import { statusPatch } from './resources.ts';

interface Sent {
  method: string;
  path: string;
  body: unknown;
  contentType: string | undefined;
}

/** KubeHttp.call, answering from a script: a body, or a KubeApiError to throw. */
function fakeHttp(answer: (s: Sent) => unknown): { http: KubeHttp; sent: Sent[] } {
  const sent: Sent[] = [];
  const http = {
    async call(method: string, path: string, body?: unknown, contentType?: string) {
      await Promise.resolve();
      const s = { method, path, body, contentType };
      sent.push(s);
      const a = answer(s);
      if (a instanceof Error) throw a;
      return { status: 200, body: a };
    },
  };
  return { http: http as unknown as KubeHttp, sent };
}

const notFound = new KubeApiError(404, 'NotFound', 'not found');

describe('kubeErrorKind', () => {
  it('names every status the operator acts on', () => {
    const table: [number, string][] = [
      [404, 'NotFound'],
      [409, 'Conflict'],
      [403, 'Forbidden'],
      [401, 'Unauthorized'],
      [410, 'Gone'],
      [400, 'Invalid'],
      [422, 'Invalid'],
      [0, 'Unavailable'],
      [429, 'Unavailable'],
      [500, 'Unavailable'],
      [503, 'Unavailable'],
      [418, 'Other'],
    ];
    for (const [status, kind] of table) assert.equal(kubeErrorKind(status), kind, String(status));
    const e = new KubeApiError(409, 'Conflict', 'modified');
    assert.ok(isKubeError(e, 'Conflict'));
    assert.ok(!isKubeError(e, 'NotFound'));
    assert.ok(!isKubeError(new Error('x'), 'Conflict'));
  });
});

describe('statusPatch', () => {
  it('sets keys the previous status had and the next lacks to null, so nothing stale survives', () => {
    assert.deepEqual(statusPatch({ a: 1, gone: 2, collectionsOmitted: 3 }, { a: 5, b: 6 }), { status: { a: 5, b: 6, gone: null, collectionsOmitted: null } });
    assert.deepEqual(statusPatch(undefined, { a: 1 }), { status: { a: 1 } });
  });
});

describe('kubePort', () => {
  it('getPolicy: the object, or undefined when it is gone; other failures are thrown', async () => {
    let n = 0;
    const { http, sent } = fakeHttp(() => [{ metadata: { name: 'p' } }, notFound, new KubeApiError(503, 'ServiceUnavailable', 'down')][n++]);
    const port = kubePort(http);
    assert.deepEqual(await port.getPolicy('team', 'p'), { metadata: { name: 'p' } });
    assert.equal(await port.getPolicy('team', 'p'), undefined);
    await assert.rejects(port.getPolicy('team', 'p'), (e: unknown) => isKubeError(e, 'Unavailable'));
    assert.equal(sent[0]?.path, '/apis/milvusload.io/v1alpha1/namespaces/team/collectionloadpolicies/p');
  });

  it('getSecret: decoded data and annotations, or undefined when it does not exist', async () => {
    let n = 0;
    const reply = { data: { token: Buffer.from('root:Milvus').toString('base64') }, metadata: { annotations: { 'milvusload.io/allowed-endpoints': 'milvus:19530' } } };
    const { http, sent } = fakeHttp(() => [reply, {}, notFound, new KubeApiError(403, 'Forbidden', 'no')][n++]);
    const port = kubePort(http);
    assert.deepEqual(await port.getSecret('team', 'creds'), { data: { token: 'root:Milvus' }, annotations: { 'milvusload.io/allowed-endpoints': 'milvus:19530' } });
    assert.deepEqual(await port.getSecret('team', 'creds'), { data: {}, annotations: {} });
    assert.equal(await port.getSecret('team', 'creds'), undefined);
    await assert.rejects(port.getSecret('team', 'creds'), (e: unknown) => isKubeError(e, 'Forbidden'));
    assert.equal(sent[0]?.path, '/api/v1/namespaces/team/secrets/creds');
  });

  it('status patches: a merge patch on the status subresource', async () => {
    const { http, sent } = fakeHttp(() => ({}));
    const port = kubePort(http);
    await port.patchPolicyStatus('team', 'p', { old: 1 }, { summary: {} });
    await port.patchBudgetStatus('b', undefined, { used: '1Gi' });
    assert.deepEqual(sent.map((s) => [s.method, s.path, s.contentType]), [
      ['PATCH', '/apis/milvusload.io/v1alpha1/namespaces/team/collectionloadpolicies/p/status', 'application/merge-patch+json'],
      ['PATCH', '/apis/milvusload.io/v1alpha1/collectionloadbudgets/b/status', 'application/merge-patch+json'],
    ]);
    assert.deepEqual(sent[0]?.body, { status: { summary: {}, old: null } });
  });

  it('setFinalizers: guarded by the resourceVersion, so a stale copy gets a Conflict', async () => {
    const { http, sent } = fakeHttp(() => ({}));
    await kubePort(http).setFinalizers('team', 'p', '42', ['milvusload.io/release']);
    assert.deepEqual(sent[0]?.body, { metadata: { resourceVersion: '42', finalizers: ['milvusload.io/release'] } });
    assert.equal(sent[0]?.path, '/apis/milvusload.io/v1alpha1/namespaces/team/collectionloadpolicies/p');
  });

  it('recordEvent: a core/v1 Event on the object, its message capped', async () => {
    const { http, sent } = fakeHttp(() => ({}));
    const now = new Date('2026-11-23T10:00:00Z');
    await kubePort(http).recordEvent({ target: { kind: 'CollectionLoadPolicy', namespace: 'team', name: 'p', uid: 'u1' }, type: 'Warning', reason: 'IndexNotFound', message: 'x'.repeat(2000), now });
    const ev = sent[0]?.body as Record<string, unknown>;
    assert.equal(sent[0]?.path, '/api/v1/namespaces/team/events');
    assert.deepEqual(ev.involvedObject, { apiVersion: 'milvusload.io/v1alpha1', kind: 'CollectionLoadPolicy', namespace: 'team', name: 'p', uid: 'u1', resourceVersion: undefined });
    assert.deepEqual([ev.type, ev.reason, (ev.message as string).length, ev.firstTimestamp, ev.count], ['Warning', 'IndexNotFound', 1024, '2026-11-23T10:00:00.000Z', 1]);
    assert.deepEqual(ev.metadata, { generateName: 'p.', namespace: 'team' });
  });
});
