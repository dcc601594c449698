// Every URI the schema accepts, the operator can use (issue 19): for each row
// of test/fixtures/milvus-uris.ts, CRD admission on a real kube-apiserver, the
// offline validator, and Node's URL parser + instanceKey() give the answer the
// row states, for both kinds that carry a URI.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { instanceKey } from '../../src/api/instance.ts';
import { validateBudget, validatePolicy } from '../../src/api/resources.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { baseBudget, basePolicy } from '../fixtures/invalid-manifests.ts';
import { uriCases } from '../fixtures/milvus-uris.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function urlReading(uri: string): 'accept' | 'reject' {
  try {
    new URL(uri);
    return 'accept';
  } catch (e: unknown) {
    if (e instanceof TypeError) return 'reject';
    throw e;
  }
}

describe('Milvus URIs: admission, validate and the operator agree', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  before(async () => {
    kube = await startKube();
    const r = await kube.kubectl(['apply', '--server-side', '-f', `${root}crds/`]);
    assert.equal(r.code, 0, r.stderr);
    const w = await kube.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io']);
    assert.equal(w.code, 0, w.stderr);
  });
  after(async () => {
    await kube?.stop();
  });

  for (const c of uriCases) {
    it(`${c.schema === 'accept' ? 'accepts' : 'rejects'} ${c.uri}${c.why ? ` (${c.why})` : ''}`, async () => {
      assert.equal(urlReading(c.uri), c.url, 'new URL()');
      assert.equal(instanceKey(c.uri), c.key, 'instanceKey()');
      if (c.schema === 'accept') assert.notEqual(instanceKey(c.uri), undefined, 'what the schema accepts must have an instance key');
      const manifests = [
        { kind: 'policy', doc: basePolicy({ milvus: { uri: c.uri } }), path: 'spec.milvus.uri', offline: validatePolicy },
        { kind: 'budget', doc: baseBudget({ milvusUri: c.uri }), path: 'spec.milvusUri', offline: validateBudget },
      ];
      for (const m of manifests) {
        const offline = m.offline(m.doc);
        assert.equal(offline.ok, c.schema === 'accept', `validate, ${m.kind}: ${offline.ok ? 'accepted' : JSON.stringify(offline.errors)}`);
        if (!offline.ok) assert.ok(offline.errors.some((e) => e.path === m.path), `validate names ${m.path}`);
        const r = await kube.kubectl(['create', '--dry-run=server', '-f', '-'], { input: stringify(m.doc) });
        assert.equal(r.code === 0, c.schema === 'accept', `admission, ${m.kind}: ${r.stderr}`);
        if (r.code !== 0) assert.ok(r.stderr.includes(m.path), `admission names ${m.path}: ${r.stderr}`);
      }
    });
  }
});
