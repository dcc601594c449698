// The control plane the tests use is a real one: CEL admission and RBAC work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from './kube.ts';

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

describe('the real kube-apiserver', { timeout: 180_000 }, () => {
  let kube: KubeEnv;
  before(async () => {
    kube = await startKube();
  });
  after(async () => {
    await kube?.stop();
  });

  it('reports its version', async () => {
    const r = await kube.kubectl(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } };
    assert.match(v.serverVersion.gitVersion, /^v1\.(3[3-9]|[4-9]\d)\./);
  });

  it('rejects a custom object that breaks a CEL rule', async () => {
    let r = await kube.kubectl(['apply', '-f', '-'], { input: crd });
    assert.equal(r.code, 0, r.stderr);
    r = await kube.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    r = await kube.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: bad }\nspec: { min: 5, max: 1 }\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /min must not exceed max/);
    r = await kube.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: good }\nspec: { min: 1, max: 5 }\n' });
    assert.equal(r.code, 0, r.stderr);
  });

  it('RBAC denies a ServiceAccount token without a role, and allows it with one', async () => {
    assert.equal((await kube.kubectl(['create', 'serviceaccount', 'probe'])).code, 0);
    const sa = await kube.serviceAccountKubeconfig('default', 'probe');
    let r = await kube.kubectl(['get', 'secrets'], { kubeconfig: sa });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /forbidden.*system:serviceaccount:default:probe/i);
    assert.equal((await kube.kubectl(['create', 'role', 'read-secrets', '--verb=list', '--resource=secrets'])).code, 0);
    assert.equal((await kube.kubectl(['create', 'rolebinding', 'probe-read', '--role=read-secrets', '--serviceaccount=default:probe'])).code, 0);
    r = await kube.kubectl(['get', 'secrets'], { kubeconfig: sa });
    assert.equal(r.code, 0, r.stderr);
  });

  it('keeps its data across a restart', async () => {
    assert.equal((await kube.kubectl(['create', 'configmap', 'survivor', '--from-literal=a=b'])).code, 0);
    await kube.restart();
    const r = await kube.kubectl(['get', 'configmap', 'survivor', '-o', 'jsonpath={.data.a}']);
    assert.equal(r.stdout, 'b');
  });
});
