// deploy/: the Kustomize install, checked against a real kube-apiserver, and
// the operator run under exactly the rights deploy/ grants (a TokenRequest
// token of its ServiceAccount) against real Milvus Lite.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import { freePort } from '../env/ports.ts';
import { spawnManaged, type ManagedProcess } from '../env/process.ts';
import { until } from '../env/wait.ts';
import { find, kustomize, root, run, type Obj } from './kustomize.ts';

const NS = 'milvus-load-operator';
const SA = 'milvus-load-operator';
const AS = `--as=system:serviceaccount:${NS}:${SA}`;

interface Container {
  args?: string[];
  env?: { name: string }[];
  securityContext?: Record<string, unknown>;
}

function operatorContainer(objs: Obj[]): Container {
  const dep = find(objs, 'Deployment', 'milvus-load-operator') as unknown as { spec: { template: { spec: { containers: Container[] } } } };
  return dep.spec.template.spec.containers[0]!;
}

function seconds(d: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  assert.ok(m, `not a duration: ${d}`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as Record<string, number>)[m[2]!]!;
}

describe('deploy/ manifests, without a server', () => {
  it('deploy/crds holds byte-for-byte copies of crds/*.yaml', async () => {
    const want = (await readdir(join(root, 'crds'))).filter((f) => f.endsWith('.yaml')).sort();
    const have = (await readdir(join(root, 'deploy/crds'))).filter((f) => f !== 'kustomization.yaml').sort();
    assert.deepEqual(have, want, 'deploy/crds lists other files than crds/: run `cp crds/*.yaml deploy/crds/` and fix deploy/crds/kustomization.yaml');
    for (const f of want) {
      const same = (await readFile(join(root, 'crds', f), 'utf8')) === (await readFile(join(root, 'deploy/crds', f), 'utf8'));
      assert.ok(same, `deploy/crds/${f} differs from crds/${f}: run \`cp crds/*.yaml deploy/crds/\``);
    }
  });

  it('the Deployment uses only flags and environment variables the operator documents', async () => {
    const help = await run(process.execPath, [join(root, 'src/main.ts'), 'run', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const documented = new Set([...help.stdout.matchAll(/(--[a-z][a-z-]*)/g)].map((m) => m[1]));
    const envs = new Set([...help.stdout.matchAll(/\$?\b([A-Z][A-Z0-9_]{2,})\b/g)].map((m) => m[1]));
    for (const dir of ['deploy', 'deploy/overlays/namespaced']) {
      const c = operatorContainer(await kustomize(dir));
      assert.equal(c.args?.[0], 'run', `${dir}: the first argument is the run command`);
      for (const arg of c.args.slice(1)) {
        const flag = arg.split('=')[0]!;
        assert.ok(documented.has(flag), `${dir}: the Deployment passes ${flag}, which \`milvus-load-operator run --help\` does not document`);
      }
      for (const e of c.env ?? []) assert.ok(envs.has(e.name), `${dir}: the Deployment sets ${e.name}, which \`run --help\` does not mention`);
    }
  });

  it('the Deployment waits for a clean shutdown and runs locked down', async () => {
    const objs = await kustomize('deploy');
    const dep = find(objs, 'Deployment', 'milvus-load-operator') as unknown as {
      spec: { replicas: number; template: { spec: { terminationGracePeriodSeconds: number; automountServiceAccountToken: boolean; securityContext: Record<string, unknown> } } };
    };
    const c = operatorContainer(objs);
    const shutdown = c.args!.find((a) => a.startsWith('--shutdown-timeout='))?.split('=')[1] ?? '10s';
    const renew = c.args!.find((a) => a.startsWith('--renew-deadline='))?.split('=')[1] ?? '10s';
    const pod = dep.spec.template.spec;
    assert.ok(pod.terminationGracePeriodSeconds > seconds(shutdown), `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must exceed --shutdown-timeout ${shutdown}`);
    assert.ok(pod.terminationGracePeriodSeconds > seconds(renew), 'the Lease must be released before SIGKILL');
    assert.equal(dep.spec.replicas, 2);
    assert.ok(c.args!.includes('--leader-elect'), 'two replicas need --leader-elect');
    assert.equal(pod.automountServiceAccountToken, true);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(c.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });
});

describe('deploy/ on a real API server, and the operator under its ServiceAccount', { timeout: 900_000 }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let operator: ManagedProcess | undefined;
  let saKubeconfig: string;
  const timings: Record<string, number> = {};

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kube.kubectl(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const canI = async (args: string[], kubeconfig?: string): Promise<string> => {
    const r = await kube.kubectl(['auth', 'can-i', ...args, ...(kubeconfig ? [] : [AS])], kubeconfig ? { kubeconfig } : {});
    return r.stdout.trim();
  };

  before(async () => {
    const t0 = Date.now();
    kube = await startKube();
    timings.startKube = Date.now() - t0;
  });

  after(async () => {
    await operator?.stop();
    await observer?.closeConnection();
    await Promise.all([milvus?.dispose(), kube?.stop()]);
    process.stderr.write(`deploy test timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it('kubectl apply --dry-run=server -k accepts the base and the namespaced overlay, with no Pod Security warning', async () => {
    const t0 = Date.now();
    // Server-side dry runs of namespaced objects need their namespaces; the
    // watched namespace is the application team's and exists beforehand.
    await ok(['create', 'namespace', NS, '--save-config']);
    await ok(['create', 'namespace', 'search', '--save-config']);
    await ok(['label', 'namespace', NS, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/enforce=restricted']);
    for (const dir of ['deploy', 'deploy/overlays/namespaced']) {
      const out = await ok(['apply', '--dry-run=server', '-k', join(root, dir)]);
      assert.doesNotMatch(out, /would violate PodSecurity|Warning/, `${dir}: ${out}`);
      assert.match(out, /deployment\.apps\/milvus-load-operator (created|configured) \(server dry run\)/);
    }
    timings.dryRun = Date.now() - t0;
  });

  it('kubectl apply -k deploy/ installs it for real', async () => {
    const t0 = Date.now();
    const out = await ok(['apply', '-k', join(root, 'deploy')]);
    assert.doesNotMatch(out, /Warning/, out);
    await ok(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
    saKubeconfig = await kube.serviceAccountKubeconfig(NS, SA);
    timings.apply = Date.now() - t0;
  });

  it('the ServiceAccount gets what it needs and nothing more (as the admin asks, and with its own token)', async () => {
    assert.ok(saKubeconfig, 'the install test minted a token');
    const no: string[][] = [
      ['list', 'secrets', '-A'],
      ['watch', 'secrets', '-A'],
      ['list', 'secrets', '-n', 'search'],
      ['get', 'deployments', '-n', 'search'],
      ['list', 'deployments', '-A'],
      ['patch', 'deployments', '-n', NS],
      ['create', 'collectionloadpolicies', '-n', 'search'],
      ['update', 'collectionloadpolicies', '-n', 'search'],
      ['delete', 'collectionloadpolicies', '-n', 'search'],
      // Budgets are read through list + watch; finalizers set with a patch; Events only created.
      ['get', 'collectionloadbudgets'],
      ['update', 'collectionloadpolicies', '--subresource=finalizers', '-n', 'search'],
      ['patch', 'events', '-n', 'search'],
      ['create', 'collectionloadbudgets'],
      ['patch', 'collectionloadbudgets'],
      ['delete', 'collectionloadbudgets'],
      ['get', 'leases', '-n', 'search'],
      ['create', 'leases', '-n', 'search'],
      ['update', 'leases/someone-else', '-n', NS],
      ['create', 'pods', '-n', NS],
    ];
    const yes: string[][] = [
      ['get', 'secrets', '-n', 'search'],
      ['list', 'collectionloadpolicies', '-A'],
      ['watch', 'collectionloadbudgets'],
      ['patch', 'collectionloadpolicies', '--subresource=status', '-n', 'search'],
      ['patch', 'collectionloadbudgets', '--subresource=status'],
      ['patch', 'collectionloadpolicies', '-n', 'search'],
      ['get', 'collectionloadpolicies', '-n', 'search'],
      ['create', 'events', '-n', 'search'],
      ['get', 'leases/milvus-load-operator', '-n', NS],
      ['update', 'leases/milvus-load-operator', '-n', NS],
      ['create', 'leases', '-n', NS],
    ];
    for (const kc of [undefined, saKubeconfig]) {
      const who = kc ? 'with its token' : 'asked by the admin';
      for (const q of no) assert.equal(await canI(q, kc), 'no', `${who}: the operator must not be able to ${q.join(' ')}`);
      for (const q of yes) assert.equal(await canI(q, kc), 'yes', `${who}: the operator needs to ${q.join(' ')}`);
    }
  });

  it('the operator cannot change a policy spec even with its finalizer patch right', async () => {
    assert.ok(saKubeconfig, 'the install test minted a token');
    await ok(['apply', '-f', '-'], `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: guarded, namespace: search }
spec:
  milvus: { uri: "http://127.0.0.1:1" }
  selector: { names: [x] }
  suspend: true
`);
    const asOperator = (patch: string) => kube.kubectl(['patch', 'clp', 'guarded', '-n', 'search', '--type=merge', '-p', patch], { kubeconfig: saKubeconfig });
    // The admission policy is loaded asynchronously after it is created.
    await until('the spec guard rejects a spec change by the operator', async () => {
      const r = await asOperator('{"spec":{"priority":7}}');
      return r.code !== 0 && /milvus-load-operator may change only the finalizers/.test(r.stderr);
    }, 60_000, 500);
    const ann = await asOperator('{"metadata":{"annotations":{"milvusload.io/managed":"false"}}}');
    assert.notEqual(ann.code, 0, 'the operator must not change annotations');
    const fin = await asOperator('{"metadata":{"finalizers":["milvusload.io/release"]}}');
    assert.equal(fin.code, 0, `the operator sets its finalizer: ${fin.stderr}`);
    const admin = await kube.kubectl(['patch', 'clp', 'guarded', '-n', 'search', '--type=merge', '-p', '{"spec":{"priority":7},"metadata":{"finalizers":null}}']);
    assert.equal(admin.code, 0, `a user still edits the spec: ${admin.stderr}`);
    await ok(['delete', 'clp', 'guarded', '-n', 'search', '--wait=false']);
  });

  it('runs the main flow with the ServiceAccount token and never hits forbidden', async () => {
    assert.ok(saKubeconfig, 'the install test minted a token');
    const t0 = Date.now();
    milvus = await startMilvusLite();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of ['products', 'reviews']) {
      await observer.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await observer.insert({ collection_name: name, data: Array.from({ length: 50 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 50) })) });
      await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await observer.releaseCollection({ collection_name: name }); // Milvus Lite loads on index creation
    }
    timings.milvus = Date.now() - t0;
    const state = async (name: string): Promise<string> => String((await observer.getLoadState({ collection_name: name })).state);
    // The Deployment's own arguments, less what only makes sense in a pod.
    const [metrics, health] = [await freePort(), await freePort()];
    const deployArgs = operatorContainer(await kustomize('deploy')).args!.filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
    const args = [...deployArgs, '--kubeconfig', saKubeconfig, '--resync', '3s', '--leader-election-namespace', NS, '--metrics-bind-address', `127.0.0.1:${metrics}`, '--health-probe-bind-address', `127.0.0.1:${health}`, '--log-level', 'debug'];
    const t1 = Date.now();
    operator = spawnManaged('operator', process.execPath, [join(root, 'src/main.ts'), ...args], { logFile: join(kube.dir, 'operator.log'), env: { ...process.env, POD_NAME: 'operator-0', POD_NAMESPACE: NS } });
    const op = operator;
    await until('/readyz answers 200', async () => (await fetch(`http://127.0.0.1:${health}/readyz`)).status === 200, 60_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\noperator log:\n${op.tail(30)}`);
    });
    await until('the operator holds the Lease', async () => (await kube.kubectl(['get', 'lease', 'milvus-load-operator', '-n', NS, '-o', 'jsonpath={.spec.holderIdentity}'])).stdout === 'operator-0', 60_000);
    timings.operatorReady = Date.now() - t1;

    await ok(['apply', '-f', '-'], `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: products, namespace: search }
spec:
  milvus: { uri: "${milvus.uri}" }
  selector: { names: [products, reviews] }
  state: Loaded
  deletionPolicy: Release
`);
    const w = await kube.kubectl(['wait', '--for=condition=Ready', 'clp/products', '-n', 'search', '--timeout=90s']);
    assert.equal(w.code, 0, `${w.stderr}\noperator log:\n${op.tail(40)}`);
    timings.policyReady = Date.now() - t1;
    assert.equal(await state('products'), 'LoadStateLoaded');
    assert.equal(await state('reviews'), 'LoadStateLoaded');
    await until('finalizer added', async () => (await kube.kubectl(['get', 'clp', 'products', '-n', 'search', '-o', 'jsonpath={.metadata.finalizers}'])).stdout.includes('milvusload.io/release'));
    await until('an event recorded', async () => (await kube.kubectl(['get', 'events', '-n', 'search', '--field-selector', 'involvedObject.name=products', '-o', 'name'])).stdout.trim() !== '');
    const m = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    assert.match(m, /^milvus_load_operator_leader 1$/m, 'this replica acts');

    const d = await kube.kubectl(['delete', 'clp', 'products', '-n', 'search', '--timeout=90s']);
    assert.equal(d.code, 0, `${d.stderr}\noperator log:\n${op.tail(40)}`);
    assert.equal(await state('products'), 'LoadStateNotLoad');
    assert.equal(await state('reviews'), 'LoadStateNotLoad');
    timings.flow = Date.now() - t1;

    const log = await readFile(join(kube.dir, 'operator.log'), 'utf8');
    assert.doesNotMatch(log, /forbidden/i, `the operator hit a permission error under the deploy RBAC:\n${log.split('\n').filter((l) => /forbidden/i.test(l)).slice(0, 5).join('\n')}`);
    const rss = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(m);
    if (rss) process.stderr.write(`deploy test: operator RSS ${(Number(rss[1]) / (1 << 20)).toFixed(0)} MiB (the Deployment requests 160Mi, limit 384Mi)\n`);

    await op.stop();
    assert.equal(await op.exited, 0, `SIGTERM: the operator exits 0\n${op.tail(20)}`);
    const holder = (await kube.kubectl(['get', 'lease', 'milvus-load-operator', '-n', NS, '-o', 'jsonpath={.spec.holderIdentity}'])).stdout;
    assert.notEqual(holder, 'operator-0', 'on SIGTERM the operator gives up the Lease');
  });

  it('the namespaced overlay: rights only in the watched namespace (plus budgets), and the operator works with them', async () => {
    assert.ok(saKubeconfig && milvus, 'the earlier tests installed the base and started Milvus');
    // From the cluster-wide install to the namespaced one: apply does not
    // prune, so remove the binding the overlay deletes.
    await ok(['delete', 'clusterrolebinding', 'milvus-load-operator']);
    await ok(['apply', '-k', join(root, 'deploy/overlays/namespaced')]);
    await ok(['create', 'namespace', 'other', '--save-config']);
    const no = [['list', 'collectionloadpolicies', '-A'], ['list', 'collectionloadpolicies', '-n', 'other'], ['get', 'secrets', '-n', 'other'], ['create', 'events', '-n', 'other'], ['list', 'secrets', '-n', 'search'], ['update', 'collectionloadpolicies', '-n', 'search']];
    const yes = [['watch', 'collectionloadpolicies', '-n', 'search'], ['patch', 'collectionloadpolicies', '--subresource=status', '-n', 'search'], ['get', 'secrets', '-n', 'search'], ['create', 'events', '-n', 'search'], ['list', 'collectionloadbudgets'], ['patch', 'collectionloadbudgets', '--subresource=status'], ['update', 'leases/milvus-load-operator', '-n', NS]];
    for (const q of no) assert.equal(await canI(q, saKubeconfig), 'no', `namespaced: the operator must not be able to ${q.join(' ')}`);
    for (const q of yes) assert.equal(await canI(q, saKubeconfig), 'yes', `namespaced: the operator needs to ${q.join(' ')}`);

    // The spec guard holds with the overlay, and for the operator's ServiceAccount installed in any namespace.
    await ok(['create', 'namespace', 'platform', '--save-config']);
    await ok(['create', 'serviceaccount', SA, '-n', 'platform']);
    await ok(['create', 'rolebinding', 'elsewhere-operator', '-n', 'search', '--role=milvus-load-operator', `--serviceaccount=platform:${SA}`]);
    const elsewhere = await kube.serviceAccountKubeconfig('platform', SA);
    await ok(['apply', '-f', '-'], `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: guarded-ns, namespace: search }
spec:
  milvus: { uri: "http://127.0.0.1:1" }
  selector: { names: [x] }
  suspend: true
`);
    for (const [who, kc] of [['the namespaced install', saKubeconfig], ['an install in namespace platform', elsewhere]] as const) {
      const patch = (p: string) => kube.kubectl(['patch', 'clp', 'guarded-ns', '-n', 'search', '--type=merge', '-p', p], { kubeconfig: kc });
      const spec = await patch('{"spec":{"priority":9}}');
      assert.notEqual(spec.code, 0, `${who}: the operator must not change a spec`);
      assert.match(spec.stderr, /milvus-load-operator may change only the finalizers/, who);
      const fin = await patch('{"metadata":{"finalizers":["milvusload.io/release"]}}');
      assert.equal(fin.code, 0, `${who}: the operator sets its finalizer: ${fin.stderr}`);
      await ok(['patch', 'clp', 'guarded-ns', '-n', 'search', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    await ok(['delete', 'clp', 'guarded-ns', '-n', 'search']);

    const [metrics, health] = [await freePort(), await freePort()];
    const deployArgs = operatorContainer(await kustomize('deploy/overlays/namespaced')).args!.filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
    assert.ok(deployArgs.includes('--namespaces=search'));
    const log = join(kube.dir, 'operator-namespaced.log');
    const args = [...deployArgs, '--kubeconfig', saKubeconfig, '--resync', '3s', '--leader-election-namespace', NS, '--metrics-bind-address', `127.0.0.1:${metrics}`, '--health-probe-bind-address', `127.0.0.1:${health}`];
    const op = spawnManaged('operator-namespaced', process.execPath, [join(root, 'src/main.ts'), ...args], { logFile: log, env: { ...process.env, POD_NAME: 'operator-1', POD_NAMESPACE: NS } });
    operator = op;
    await ok(['apply', '-f', '-'], `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: reviews, namespace: search }
spec:
  milvus: { uri: "${milvus.uri}" }
  selector: { names: [reviews] }
`);
    const w = await kube.kubectl(['wait', '--for=condition=Ready', 'clp/reviews', '-n', 'search', '--timeout=90s']);
    assert.equal(w.code, 0, `${w.stderr}\noperator log:\n${op.tail(40)}`);
    assert.equal(String((await observer.getLoadState({ collection_name: 'reviews' })).state), 'LoadStateLoaded');
    await op.stop();
    const text = await readFile(log, 'utf8');
    assert.doesNotMatch(text, /forbidden/i, `the namespaced operator hit a permission error:\n${text.split('\n').filter((l) => /forbidden/i.test(l)).slice(0, 5).join('\n')}`);
  });
});
