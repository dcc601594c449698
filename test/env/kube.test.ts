// The control plane the tests use is a real one: CEL admission and RBAC work,
// and the harness leaves nothing running behind it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from './kube.ts';
import { peakRss, processAlive } from './process.ts';

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              min: { type: integer }
              max: { type: integer }
            x-kubernetes-validations:
            - rule: self.min <= self.max
              message: min must not exceed max
`;

const mib = (b: number | undefined): string => (b === undefined ? '?' : `${Math.round(b / 2 ** 20)} MiB`);

describe('the real kube-apiserver', { timeout: 180_000 }, () => {
  let kube: KubeEnv;
  before(async () => {
    kube = await startKube();
  });
  after(async () => {
    await kube?.stop();
  });

  it('reports its version, the same as kubectl', async (t) => {
    t.diagnostic(`etcd + kube-apiserver ready in ${kube.startedInMs} ms`);
    const r = await kube.kubectl(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    assert.match(v.serverVersion.gitVersion, /^v1\.(3[3-9]|[4-9]\d)\.\d+$/);
    assert.equal(v.clientVersion.gitVersion, v.serverVersion.gitVersion);
    assert.doesNotMatch(r.stderr, /skew/i);
  });

  it('rejects a custom object that breaks a CEL rule', async () => {
    let r = await kube.kubectl(['apply', '-f', '-'], { input: crd });
    assert.equal(r.code, 0, r.stderr);
    r = await kube.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    r = await kube.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: bad }\nspec: { min: 5, max: 1 }\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Widget "bad" is invalid: spec: Invalid value: (.*: )?min must not exceed max/);
    r = await kube.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: good }\nspec: { min: 1, max: 5 }\n' });
    assert.equal(r.code, 0, r.stderr);
  });

  it('RBAC denies a ServiceAccount token without a role, and allows it with one', async () => {
    assert.equal((await kube.kubectl(['create', 'serviceaccount', 'probe'])).code, 0);
    const token = await kube.createToken('default', 'probe');
    assert.equal(token.split('.').length, 3, 'TokenRequest returns a signed JWT');
    const sa = await kube.kubeconfigForToken(token);
    let r = await kube.kubectl(['get', 'secrets'], { kubeconfig: sa });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\(Forbidden\): secrets is forbidden: User "system:serviceaccount:default:probe" cannot list resource "secrets"/);
    assert.equal((await kube.kubectl(['create', 'role', 'read-secrets', '--verb=list', '--resource=secrets'])).code, 0);
    assert.equal((await kube.kubectl(['create', 'rolebinding', 'probe-read', '--role=read-secrets', '--serviceaccount=default:probe'])).code, 0);
    r = await kube.kubectl(['get', 'secrets'], { kubeconfig: sa });
    assert.equal(r.code, 0, r.stderr);
    r = await kube.kubectl(['get', 'secrets', '-n', 'kube-system'], { kubeconfig: sa });
    assert.notEqual(r.code, 0, 'a Role grants nothing outside its namespace');
  });

  it('keeps its data across a restart', async () => {
    assert.equal((await kube.kubectl(['create', 'configmap', 'survivor', '--from-literal=a=b'])).code, 0);
    await kube.restart();
    const r = await kube.kubectl(['get', 'configmap', 'survivor', '-o', 'jsonpath={.data.a}']);
    assert.equal(r.stdout, 'b');
  });

  it('stops exactly what it started, removes its directory, and can be stopped twice', async (t) => {
    const { etcd, apiserver } = kube.processes();
    t.diagnostic(`peak RSS: etcd ${mib(await peakRss(etcd.pid))}, kube-apiserver ${mib(await peakRss(apiserver.pid))}`);
    assert.ok(processAlive(etcd.pid) && processAlive(apiserver.pid));
    await Promise.all([kube.stop(), kube.stop()]);
    await kube.stop();
    assert.equal(processAlive(etcd.pid), false, 'etcd is gone');
    assert.equal(processAlive(apiserver.pid), false, 'kube-apiserver is gone');
    assert.equal(existsSync(kube.dir), false, `${kube.dir} is removed`);
  });
});

describe('a control plane that cannot start', { timeout: 60_000 }, () => {
  it('fails with the output of the process that died', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlo-kube-broken-'));
    const fake = join(dir, 'kube-apiserver');
    await writeFile(fake, '#!/bin/sh\necho "E0101 flag provided but not defined: --nonsense" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const saved = process.env.TEST_ASSET_KUBE_APISERVER;
    process.env.TEST_ASSET_KUBE_APISERVER = fake;
    try {
      await assert.rejects(startKube(), /kube-apiserver exited before kube-apiserver was ready[^]*flag provided but not defined: --nonsense/);
    } finally {
      if (saved === undefined) delete process.env.TEST_ASSET_KUBE_APISERVER;
      else process.env.TEST_ASSET_KUBE_APISERVER = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
