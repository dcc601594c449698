// `milvus-load-operator plan` with no -f: policies and budgets read live
// from a real kube-apiserver, credentials from a Secret there, Milvus (the
// simulator) read-only. It writes nothing to Kubernetes, shown three ways:
// every object's resourceVersion is unchanged, the apiserver's own request
// counters show no write, and a ServiceAccount that may only read suffices.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { cli } from './run-cli.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY', 'CREATE', 'UPDATE']);

describe('plan against live policies on a real apiserver', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let readerKubeconfig: string;
  let teamKubeconfig: string;
  let env: NodeJS.ProcessEnv;

  /** resourceVersion of every object plan could touch. */
  const versions = async (): Promise<string> => {
    const r = await kube.kubectl(['get', 'clp,secrets,events', '-A', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
    const b = await kube.kubectl(['get', 'clb', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
    return r.stdout + b.stdout;
  };

  /** Write requests the apiserver has served for our kinds, Secrets and Events, from its own metrics. */
  const writes = async (): Promise<number> => {
    const m = await kube.kubectl(['get', '--raw', '/metrics']);
    let n = 0;
    for (const line of m.stdout.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
      const ours = /group="milvusload\.io"/.test(line) || /resource="(secrets|events)"/.test(line);
      if (ours && WRITE_VERBS.has(verb)) n += Number(line.split(' ').pop());
    }
    return n;
  };

  before(async () => {
    sim = await startSimulator({ loadMillis: 0 });
    kube = await startKube();
    sim.state.createCollection('default', 'products', { rows: 10 });
    sim.state.createCollection('default', 'old', { rows: 10 });
    sim.state.loadDirectly('default', 'old', { done: true });
    sim.state.createCollection('default', 'team_b', { rows: 10 });
    sim.faults.requireAuth({ token: 'sk-live' });
    const k = async (args: string[], input?: string): Promise<void> => {
      const r = await kube.kubectl(args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    };
    await k(['apply', '-f', `${root}crds/`]);
    await k(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
    for (const ns of ['search', 'team-b']) {
      await k(['create', 'namespace', ns]);
      await k(['create', 'secret', 'generic', 'milvus-token', '-n', ns, '--from-literal=token=sk-live']);
      await k(['annotate', 'secret', 'milvus-token', '-n', ns, `milvusload.io/allowed-endpoints=${sim.address}`]);
    }
    const p = (name: string, ns: string, spec: string): string =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  milvus: { uri: "${sim.uri}", credentialsSecret: { name: milvus-token } }\n${spec}---\n`;
    await k(
      ['apply', '-f', '-'],
      p('hot', 'search', '  selector: { names: [products] }\n  priority: 10\n') +
        p('cold', 'search', '  selector: { names: [old] }\n  state: Released\n') +
        p('b', 'team-b', '  selector: { names: [team_b] }\n') +
        p('b-products', 'team-b', '  selector: { names: [products] }\n  state: Released\n  priority: 1\n') +
        `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadBudget\nmetadata: { name: sim }\nspec: { milvusUri: "${sim.uri}", memoryLimit: 10Gi }\n`,
    );
    // A reader: list our kinds, get Secrets; no write of any kind.
    await k(['create', 'namespace', 'ops']);
    await k(['create', 'serviceaccount', 'planner', '-n', 'ops']);
    await k(['create', 'clusterrole', 'mlo-plan', '--verb=get,list', '--resource=collectionloadpolicies.milvusload.io,collectionloadbudgets.milvusload.io']);
    await k(['create', 'clusterrole', 'mlo-plan-secrets', '--verb=get', '--resource=secrets']);
    await k(['create', 'clusterrolebinding', 'mlo-plan', '--clusterrole=mlo-plan', '--serviceaccount=ops:planner']);
    await k(['create', 'clusterrolebinding', 'mlo-plan-secrets', '--clusterrole=mlo-plan-secrets', '--serviceaccount=ops:planner']);
    readerKubeconfig = await kube.serviceAccountKubeconfig('ops', 'planner');
    // A team's reader: its own namespace's policies and Secrets, and the (cluster-scoped) budgets.
    await k(['create', 'serviceaccount', 'team-b-planner', '-n', 'team-b']);
    await k(['create', 'role', 'plan', '-n', 'team-b', '--verb=get,list', '--resource=collectionloadpolicies.milvusload.io']);
    await k(['create', 'role', 'plan-secrets', '-n', 'team-b', '--verb=get', '--resource=secrets']);
    await k(['create', 'rolebinding', 'plan', '-n', 'team-b', '--role=plan', '--serviceaccount=team-b:team-b-planner']);
    await k(['create', 'rolebinding', 'plan-secrets', '-n', 'team-b', '--role=plan-secrets', '--serviceaccount=team-b:team-b-planner']);
    await k(['create', 'clusterrole', 'mlo-plan-budgets', '--verb=list', '--resource=collectionloadbudgets.milvusload.io']);
    await k(['create', 'clusterrolebinding', 'team-b-plan-budgets', '--clusterrole=mlo-plan-budgets', '--serviceaccount=team-b:team-b-planner']);
    teamKubeconfig = await kube.serviceAccountKubeconfig('team-b', 'team-b-planner');
    env = { ...process.env, KUBECONFIG: '', MLO_MILVUS_TOKEN: '' };
  });

  after(async () => {
    await Promise.all([sim?.stop(), kube?.stop()]);
  });

  it('-n: the namespace\'s policies, credentials from their Secret; nothing written, nothing loaded', async () => {
    const [v0, w0, m0] = [await versions(), await writes(), sim.mutatingCalls()];
    assert.ok(w0 > 0, 'the write counter sees the setup\'s own writes (so a write by plan would show)');
    const r = await cli(['plan', '--kubeconfig', kube.kubeconfigPath, '-n', 'search'], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /for the policies in namespace search of the cluster; nothing is changed/);
    assert.match(r.stdout, /^ {2}\+ load\s+default\/products\s+search\/hot\s+Declared: load requested/m);
    assert.match(r.stdout, /^ {2}- release\s+default\/old\s+search\/cold\s+Declared: released$/m);
    assert.doesNotMatch(r.stdout, /team_b/, 'another namespace is not planned with -n');
    assert.match(r.stdout, /budget sim \(preemption Never\): limit 10Gi/);
    assert.match(r.stdout, /^Plan: 1 to load, 1 to release, 0 deferred, 0 conflicts\.$/m);
    assert.equal(sim.mutatingCalls() - m0, 0, 'plan sent a load or release');
    assert.equal(await writes(), w0, 'plan wrote to the apiserver');
    assert.equal(await versions(), v0, 'some object changed');
  });

  it('-A with a ServiceAccount that may only get/list: every namespace, nothing written', async () => {
    const [v0, w0, m0] = [await versions(), await writes(), sim.mutatingCalls()];
    const r = await cli(['plan', '--kubeconfig', readerKubeconfig, '-A', '--detailed-exitcode'], env);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\+ load\s+default\/team_b\s+team-b\/b/);
    assert.match(r.stdout, /\+ load\s+default\/products\s+search\/hot/);
    assert.match(r.stdout, /x conflict\s+default\/products\s+team-b\/b-products\s+Conflict: policy search\/hot \(priority 10\) also selects this collection and wins/);
    assert.match(r.stdout, /^Plan: 2 to load, 1 to release, 0 deferred, 1 conflict\.$/m);
    assert.equal(sim.mutatingCalls() - m0, 0);
    assert.equal(await writes(), w0);
    assert.equal(await versions(), v0);
  });

  it('-n plans with every namespace\'s policies but shows one; a reader of one namespace is told what it cannot see', async () => {
    const w0 = await writes();
    const admin = await cli(['plan', '--kubeconfig', kube.kubeconfigPath, '-n', 'team-b'], env);
    assert.equal(admin.code, 0, admin.stdout + admin.stderr);
    assert.match(admin.stdout, /x conflict\s+default\/products\s+team-b\/b-products\s+Conflict: policy search\/hot/, 'a conflict with another namespace is seen');
    assert.doesNotMatch(admin.stdout, /^ {2}\S \S+\s+\S+\s+search\//m, 'lines of other namespaces are not shown');
    const team = await cli(['plan', '--kubeconfig', teamKubeconfig, '-n', 'team-b'], env);
    assert.equal(team.code, 0, team.stdout + team.stderr);
    assert.match(team.stdout, /Note: listing policies of every namespace is forbidden, so conflicts with and budget use by other namespaces are not in this plan\./);
    assert.match(team.stdout, /\+ load\s+default\/team_b\s+team-b\/b\s/);
    assert.doesNotMatch(team.stdout, /conflict\s+default/);
    assert.equal(await writes(), w0);
  });

  it('the context namespace by default; a reader without list rights gets a message, not a stack', async () => {
    const r = await cli(['plan', '--kubeconfig', kube.kubeconfigPath], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No CollectionLoadPolicy or CollectionLoadBudget found in namespace default of the cluster\./);
    const nobody = await kube.serviceAccountKubeconfig('ops', 'default').catch(async () => {
      await kube.kubectl(['create', 'serviceaccount', 'default', '-n', 'ops']);
      return kube.serviceAccountKubeconfig('ops', 'default');
    });
    const denied = await cli(['plan', '--kubeconfig', nobody, '-A'], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^milvus-load-operator: collectionloadpolicies: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ refused \(403 Forbidden\)/);
    assert.doesNotMatch(denied.stderr, /\n\s+at /);
  });
});
