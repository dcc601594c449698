// The CRDs against a real kube-apiserver: they install, every example is
// accepted, every invalid manifest is rejected at the field path the offline
// validator names, and `kubectl explain` teaches the API.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { validateBudget, validatePolicy } from '../../src/api/resources.ts';
import { invalidCases } from '../fixtures/invalid-manifests.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('CRDs on a real kube-apiserver', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  before(async () => {
    kube = await startKube();
    const r = await kube.kubectl(['apply', '--server-side', '-f', `${root}crds/`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await kube?.stop();
  });

  it('install and become Established', async () => {
    const r = await kube.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('accept every example (server-side dry run)', async () => {
    for (const ns of ['search', 'support', 'analytics', 'recsys']) await kube.kubectl(['create', 'namespace', ns]);
    const files = readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 6);
    for (const f of files) {
      const r = await kube.kubectl(['apply', '--dry-run=server', '-f', `${root}examples/${f}`]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    }
  });

  it('show useful columns and short names', async () => {
    const r = await kube.kubectl(['apply', '-f', `${root}examples/01-load-minimal.yaml`]);
    assert.equal(r.code, 0, r.stderr);
    const get = await kube.kubectl(['get', 'clp', '-A']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout.split('\n')[0] ?? '', /NAMESPACE\s+NAME\s+STATE\s+EFFECTIVE\s+LOADED\s+READY\s+REASON\s+AGE/);
    assert.match(get.stdout, /products-hot\s+Loaded/);
    const all = await kube.kubectl(['get', 'milvus', '-A']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /collectionloadpolicy/);
  });

  for (const c of invalidCases) {
    it(`${c.runtimeOnly ? 'admits (run-time check catches it)' : 'rejects'}: ${c.name}`, async () => {
      const r = await kube.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: stringify(c.manifest) });
      const offline = c.manifest.kind === 'CollectionLoadBudget' ? validateBudget(c.manifest) : validatePolicy(c.manifest);
      assert.ok(!offline.ok && offline.errors.some((e) => e.path === c.path), 'the offline validator names the same field');
      if (c.runtimeOnly) {
        assert.equal(r.code, 0, `the schema cannot express this, so admission should accept it: ${r.stderr}`);
        return;
      }
      assert.notEqual(r.code, 0, `${c.name} was admitted`);
      assert.ok(r.stderr.includes(c.path), `${c.name}: expected the apiserver to name ${c.path}, got: ${r.stderr}`);
    });
  }

  it('kubectl explain describes the schedule windows', async () => {
    const r = await kube.kubectl(['explain', 'collectionloadpolicy.spec.schedule.windows']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /belongs to the day it starts on/);
    assert.match(r.stdout, /start\s+<string> -required-/);
    const b = await kube.kubectl(['explain', 'clb.spec.preemption']);
    assert.match(b.stdout, /LowerPriority/);
  });

  it('kubectl explain describes idle release, the partition window and the usage source', async () => {
    const idle = await kube.kubectl(['explain', 'collectionloadpolicy.spec.idle']);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /usage\s+is\s+unknown/);
    assert.match(idle.stdout, /releaseAfter\s+<string> -required-/);
    assert.match(idle.stdout, /overrideLoaded\s+<boolean>/);
    const window = await kube.kubectl(['explain', 'clp.spec.partitionSelector.keepNewest']);
    assert.match(window.stdout, /newest\s+matching\s+partitions/);
    const usage = await kube.kubectl(['explain', 'clb.spec.usage']);
    assert.match(usage.stdout, /exactly\s+one\s+of\s+`milvusMetrics`\s+or\s+`prometheus`/);
    const status = await kube.kubectl(['explain', 'clp.status.collections.usageUnknownReason']);
    assert.match(status.stdout, /UsageNoSource/);
  });
});
