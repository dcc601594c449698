// deploy/ grants the operator's ServiceAccount exactly the calls the operator
// makes: OPERATOR_API_CALLS (src/kube/resources.ts, itself checked against
// the request functions by src/kube/api-calls.test.ts) against the rendered
// roles of the base install and of each overlay. Nothing more (no verb it
// never calls), nothing less (no call that would be forbidden).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { OPERATOR_API_CALLS } from '../../src/kube/resources.ts';
import { find, kustomize, root, type Obj } from './kustomize.ts';

const SA = 'milvus-load-operator';
const NS = 'milvus-load-operator';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Binding extends Obj {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** group|resource|verb -> where it is granted ("cluster" or a namespace), for the operator's ServiceAccount. */
function grants(objs: Obj[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const bindings = objs.filter((o): o is Binding => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && ((o as Binding).subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === SA && s.namespace === NS));
  for (const b of bindings) {
    const role = objs.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (b.roleRef.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
    assert.ok(role, `${b.kind} ${b.metadata.name} refers to ${b.roleRef.kind} ${b.roleRef.name}, which the build does not contain`);
    const where = b.kind === 'ClusterRoleBinding' ? 'cluster' : (b.metadata.namespace ?? '?');
    const triples = (role as unknown as { rules: Rule[] }).rules.flatMap((r) => (r.apiGroups ?? ['']).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => [g, res, v] as const))));
    for (const [g, res, v] of triples) {
      assert.ok(g !== '*' && res !== '*' && v !== '*', `${role.kind} ${role.metadata.name} grants a wildcard (${g}/${res}/${v})`);
      const key = `${g}|${res}|${v}`;
      const set = out.get(key) ?? new Set<string>();
      set.add(where);
      out.set(key, set);
    }
  }
  return out;
}

const declared = OPERATOR_API_CALLS.flatMap((u) => u.verbs.map((v) => `${u.group}|${u.resource}|${v}`)).sort();

function assertExactly(dir: string, granted: Map<string, Set<string>>): void {
  assert.deepEqual([...granted.keys()].sort(), declared, `${dir}: the roles bound to ${NS}/${SA} must grant exactly OPERATOR_API_CALLS (src/kube/resources.ts)`);
}

describe('RBAC in deploy/ is exactly what the operator calls', () => {
  it('the base install: everything cluster-wide except the Lease, which is in its own namespace and named', async () => {
    const objs = await kustomize('deploy');
    const granted = grants(objs);
    assertExactly('deploy', granted);
    for (const [key, where] of granted) {
      const lease = key.startsWith('coordination.k8s.io|leases|');
      assert.deepEqual([...where], [lease ? NS : 'cluster'], `deploy: ${key} is granted in ${[...where].join(', ')}`);
    }
    const role = find(objs, 'Role', 'milvus-load-operator-leader-election') as unknown as { rules: Rule[] };
    for (const r of role.rules) {
      if (r.verbs.some((v) => v !== 'create')) assert.deepEqual(r.resourceNames, ['milvus-load-operator'], 'get and update only on the Lease named by --leader-election-id');
    }
  });

  it('the namespaced overlay: policies, Secrets and Events only in the watched namespace; budgets cluster-wide', async () => {
    const objs = await kustomize('deploy/overlays/namespaced');
    const granted = grants(objs);
    assertExactly('deploy/overlays/namespaced', granted);
    for (const [key, where] of granted) {
      const [, resource] = key.split('|');
      const expected = resource!.startsWith('leases') ? NS : resource!.startsWith('collectionloadbudgets') ? 'cluster' : 'search';
      assert.deepEqual([...where], [expected], `namespaced: ${key} is granted in ${[...where].join(', ')}`);
    }
  });
});

describe('the policy-spec-guard admission policy', () => {
  const condition = (objs: Obj[]): string => {
    const vap = find(objs, 'ValidatingAdmissionPolicy', 'milvus-load-operator-policy-spec-guard') as unknown as { spec: { matchConditions: { expression: string }[] } };
    find(objs, 'ValidatingAdmissionPolicyBinding', 'milvus-load-operator-policy-spec-guard');
    return vap.spec.matchConditions.map((c) => c.expression).join(' && ');
  };

  it('is in the base and the namespaced overlay, and names no namespace', async () => {
    for (const dir of ['deploy', 'deploy/overlays/namespaced']) {
      const expr = condition(await kustomize(dir));
      assert.doesNotMatch(expr, new RegExp(`serviceaccount:${NS}:`), `${dir}: the guard must not depend on the install namespace`);
      assert.match(expr, /endsWith\(':milvus-load-operator'\)/, `${dir}: the guard matches the operator's ServiceAccount by name`);
    }
  });

  it('is unchanged by an overlay that installs into another namespace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlo-ns-'));
    try {
      await writeFile(join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: platform\nresources:\n  - ${relative(dir, join(root, 'deploy'))}\n`);
      const objs = await kustomize(dir);
      assert.equal(find(objs, 'ServiceAccount', SA).metadata.namespace, 'platform');
      assert.equal(condition(objs), condition(await kustomize('deploy')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
