// OPERATOR_API_CALLS is what deploy/ grants (test/deploy/rbac.test.ts). This
// test keeps it honest on the other side: it runs every request function of
// src/kube (resources, the port, informers, leader election) against a recording
// KubeHttp, turns each request into what RBAC checks, and compares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeApiError, KubeHttp, type KubeResponse } from './http.ts';
import { Informer } from './informer.ts';
import { LeaderElector } from './leader.ts';
import { kubePort } from './port.ts';
import { budgetsPath, getSecret, OPERATOR_API_CALLS, patchBudgetStatus, patchPolicyStatus, policiesPath, recordEvent, requestAttributes, setFinalizers } from './resources.ts';
import { createLogger } from '../log/logger.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Reply = (method: string, path: string) => unknown;

/** A KubeHttp that answers from `reply` and records each request as RBAC sees it. */
class RecordingHttp extends KubeHttp {
  readonly seen = new Set<string>();
  watches = 0;
  private readonly reply: Reply;
  constructor(reply: Reply) {
    super({ getCurrentCluster: () => ({ server: 'https://recording.invalid' }), applyToHTTPSOptions: () => Promise.resolve() });
    this.reply = reply;
  }
  private record(method: string, path: string, watch: boolean): void {
    const a = requestAttributes(method, path, watch);
    this.seen.add(`${a.group}|${a.resource}|${a.verb}`);
  }
  override call<T>(method: string, path: string): Promise<KubeResponse<T>> {
    this.record(method, path, false);
    const r = this.reply(method, path);
    return r instanceof Error ? Promise.reject(r) : Promise.resolve({ status: 200, body: r as T });
  }
  override watch(path: string): Promise<{ done: Promise<void>; abort: () => void }> {
    this.record('GET', path, true);
    this.watches++;
    let abort = (): void => undefined;
    const done = new Promise<void>((resolve) => (abort = resolve));
    return Promise.resolve({ done, abort });
  }
}

async function eventually(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(f(), `timed out waiting for ${what}`);
}

const declared = new Set(OPERATOR_API_CALLS.flatMap((u) => u.verbs.map((v) => `${u.group}|${u.resource}|${v}`)));

describe('the Kubernetes API calls of the operator', () => {
  it('requestAttributes reads a request as the apiserver does', () => {
    assert.deepEqual(requestAttributes('GET', '/apis/milvusload.io/v1alpha1/collectionloadpolicies'), { group: 'milvusload.io', resource: 'collectionloadpolicies', verb: 'list' });
    assert.deepEqual(requestAttributes('GET', '/apis/milvusload.io/v1alpha1/namespaces/a/collectionloadpolicies?watch=1&resourceVersion=5'), { group: 'milvusload.io', resource: 'collectionloadpolicies', verb: 'watch' });
    assert.deepEqual(requestAttributes('PATCH', '/apis/milvusload.io/v1alpha1/namespaces/a/collectionloadpolicies/p/status'), { group: 'milvusload.io', resource: 'collectionloadpolicies/status', verb: 'patch' });
    assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/a/secrets/s'), { group: '', resource: 'secrets', verb: 'get' });
    assert.deepEqual(requestAttributes('POST', '/api/v1/namespaces/a/events'), { group: '', resource: 'events', verb: 'create' });
    assert.deepEqual(requestAttributes('PUT', '/apis/coordination.k8s.io/v1/namespaces/o/leases/l'), { group: 'coordination.k8s.io', resource: 'leases', verb: 'update' });
    assert.deepEqual(requestAttributes('GET', '/apis/milvusload.io/v1alpha1/collectionloadbudgets/b'), { group: 'milvusload.io', resource: 'collectionloadbudgets', verb: 'get' });
  });

  it('are exactly OPERATOR_API_CALLS: every request is declared, and every declared verb is used', async () => {
    let lease: unknown;
    const http = new RecordingHttp((method, path) => {
      if (path.includes('/leases')) {
        if (method === 'GET') return lease ?? new KubeApiError(404, 'NotFound', 'no lease');
        if (method === 'POST' || method === 'PUT') return (lease = { metadata: { name: 'mlo', resourceVersion: '1' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 1 } });
      }
      if (method === 'GET' && path.includes('/secrets/')) return { data: { token: Buffer.from('t').toString('base64') } };
      if (method === 'GET') return { metadata: { resourceVersion: '1' }, items: [] };
      return {};
    });
    await patchPolicyStatus(http, 'a', 'p', {}, { observedGeneration: 1 });
    await patchBudgetStatus(http, 'b', {}, { used: '1Gi' });
    await setFinalizers(http, 'a', 'p', '7', ['milvusload.io/release']);
    await kubePort(http).getPolicy('a', 'p');
    await getSecret(http, 'a', 's');
    await recordEvent(http, { target: { kind: 'CollectionLoadPolicy', namespace: 'a', name: 'p' }, type: 'Normal', reason: 'Loaded', message: 'm', now: new Date(0) });
    // The informers the operator runs: policies (all namespaces, or one each) and budgets.
    for (const path of [policiesPath(), policiesPath('a'), budgetsPath]) {
      const inf = new Informer({ name: path, http, path, onChange: () => undefined });
      const watches = http.watches;
      const running = inf.start();
      await eventually(`${path} listed and watched`, () => inf.hasSynced() && http.watches > watches);
      inf.stop();
      await running;
    }
    // Leader election: create the Lease, renew it, give it up.
    const elector = new LeaderElector({ http, namespace: 'o', name: 'mlo', identity: 'me', leaseDurationMs: 300, renewDeadlineMs: 200, retryPeriodMs: 20, log: createLogger('error', {}, () => undefined), onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
    elector.start();
    await eventually('the Lease renewed', () => http.seen.has('coordination.k8s.io|leases|update'));
    await elector.stop();

    const undeclared = [...http.seen].filter((c) => !declared.has(c));
    assert.deepEqual(undeclared, [], 'requests the operator makes but OPERATOR_API_CALLS (and so deploy/) does not list');
    const unused = [...declared].filter((c) => !http.seen.has(c));
    assert.deepEqual(unused, [], 'verbs OPERATOR_API_CALLS declares (and deploy/ grants) that no request function uses');
  });

  it('go through src/kube only: no other production file calls the Kubernetes API itself', async () => {
    const src = fileURLToPath(new URL('../', import.meta.url));
    // plan lists policies and budgets with its user's own credentials, not the operator's.
    const allowed = new Set(['kube/http.ts', 'kube/resources.ts', 'kube/port.ts', 'kube/informer.ts', 'kube/leader.ts', 'cli/plan/inputs.ts']);
    const offenders: string[] = [];
    for (const rel of await readdir(src, { recursive: true })) {
      if (!rel.endsWith('.ts') || rel.endsWith('.test.ts') || allowed.has(rel)) continue;
      if (/\.(call|watch)\s*[<(]/.test(await readFile(join(src, rel), 'utf8'))) offenders.push(rel);
    }
    assert.deepEqual(offenders, [], 'call the API through a function of src/kube/resources.ts and declare its verb in OPERATOR_API_CALLS');
  });
});
