// Our own credential loading (src/kube/kubeconfig.ts), against a real
// apiserver: client certificates, tokens, the in-cluster service account
// (token re-read after rotation), and the hand-over to client-node for what
// we do not implement. The apiserver says who we are (SelfSubjectReview).
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { KubeHttp } from '../../src/kube/http.ts';
import { inCluster, loadKubeAuth, simpleKubeconfig } from '../../src/kube/kubeconfig.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';

describe('credentials without client-node', { timeout: 120_000 }, () => {
  let kube: KubeEnv;
  let dir: string;

  before(async () => {
    kube = await startKube();
    dir = await mkdtemp(join(tmpdir(), 'mlo-kubeconfig-'));
    for (const sa of ['robot', 'robot2']) assert.equal((await kube.kubectl(['create', 'serviceaccount', sa, '-n', 'default'])).code, 0);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await kube?.stop();
  });

  const whoami = async (http: KubeHttp): Promise<string> => {
    const r = await http.call<{ status: { userInfo: { username: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    return r.body.status.userInfo.username;
  };

  it('reads a client-certificate kubeconfig itself (stable TLS material, so connections can be pooled)', async () => {
    const loaded = await loadKubeAuth(kube.kubeconfigPath, {});
    assert.equal(loaded.source, kube.kubeconfigPath, 'no fallback to client-node');
    assert.equal(loaded.auth.stableTls, true);
    const http = new KubeHttp(loaded.auth);
    assert.equal(await whoami(http), 'admin');
    assert.equal(await whoami(http), 'admin');
  });

  it('reads a token kubeconfig (the token is sent as a bearer header)', async () => {
    const path = await kube.serviceAccountKubeconfig('default', 'robot');
    const auth = simpleKubeconfig(path)?.auth;
    assert.ok(auth);
    assert.equal(await whoami(new KubeHttp(auth)), 'system:serviceaccount:default:robot');
  });

  it('in a pod: the service account token and CA, and a rotated token is picked up', async () => {
    const sa = join(dir, 'serviceaccount');
    await mkdir(sa);
    await copyFile(kube.caCertPath, join(sa, 'ca.crt'));
    await writeFile(join(sa, 'token'), await kube.createToken('default', 'robot'));
    const url = new URL(kube.server);
    let now = 0;
    const env = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port };
    assert.equal(inCluster({}, sa), undefined, 'not in a cluster without the service host variables');
    const auth = inCluster(env, sa, () => now)?.auth;
    assert.ok(auth);
    const http = new KubeHttp(auth);
    assert.equal(await whoami(http), 'system:serviceaccount:default:robot');
    await writeFile(join(sa, 'token'), await kube.createToken('default', 'robot2'));
    assert.equal(await whoami(http), 'system:serviceaccount:default:robot', 're-read at most once a minute');
    now += 61_000;
    assert.equal(await whoami(http), 'system:serviceaccount:default:robot2', 'the rotated token is used');
    await writeFile(join(sa, 'namespace'), 'default');
    const loaded = await loadKubeAuth(undefined, { ...env, HOME: dir }, sa);
    assert.deepEqual([loaded.source, loaded.namespace], ['in-cluster service account', 'default']);
    assert.equal(await whoami(new KubeHttp(loaded.auth)), 'system:serviceaccount:default:robot2');
  });

  it('hands exec plugins and other features to client-node, and says what is missing', async () => {
    const doc = parse(await readFile(kube.kubeconfigPath, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    for (const u of doc.users) u.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/false' } };
    const file = join(dir, 'exec.kubeconfig');
    await writeFile(file, stringify(doc));
    assert.equal(simpleKubeconfig(file), undefined);
    assert.match((await loadKubeAuth(file, {})).source, /via client-node/);
    await assert.rejects(loadKubeAuth(join(dir, 'missing'), {}), /does not exist/);
    await assert.rejects(loadKubeAuth(undefined, { HOME: dir }), /no kubeconfig: pass --kubeconfig/);
  });
});
