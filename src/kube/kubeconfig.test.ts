import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inCluster, KubeconfigMissingError, loadKubeAuth, NoKubeconfigError, simpleKubeconfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'mlo-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function kubeconfig(name: string, cluster: string, user: string, context = ''): string {
  return file(
    name,
    `apiVersion: v1
kind: Config
current-context: ctx
contexts:
- name: ctx
  context: { cluster: c, user: u${context} }
clusters:
- name: c
  cluster:
${cluster}
users:
- name: u
  user:
${user}
`,
  );
}

async function namespaceAndSource(path: string): Promise<[string | undefined, string]> {
  const r = await loadKubeAuth(path, {});
  return [r.namespace, r.source];
}

async function optionsOf(auth: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }): Promise<RequestOptions> {
  const o: RequestOptions = {};
  await auth.applyToHTTPSOptions(o);
  return o;
}

describe('simpleKubeconfig', () => {
  it('reads a client-certificate user with inline data', async () => {
    const p = kubeconfig('cert.yaml', `    server: https://127.0.0.1:6443\n    certificate-authority-data: ${b64('CA')}\n    tls-server-name: kube`, `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`);
    const auth = simpleKubeconfig(p)?.auth;
    assert.ok(auth);
    assert.equal(auth.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.equal(auth.stableTls, true);
    const o = await optionsOf(auth);
    assert.deepEqual([String(o.ca as Buffer), String(o.cert as Buffer), String(o.key as Buffer), o.servername, o.headers], ['CA', 'CERT', 'KEY', 'kube', undefined]);
  });

  it('reads files relative to the kubeconfig, a token file re-read at most once a minute, and insecure-skip-tls-verify', async () => {
    file('ca.crt', 'CA-FILE');
    const tokenFile = file('token', 'first\n');
    let now = 0;
    const p = kubeconfig('files.yaml', `    server: https://k:6443\n    certificate-authority: ca.crt\n    insecure-skip-tls-verify: true`, `    tokenFile: ${tokenFile}`);
    const auth = simpleKubeconfig(p, () => now)?.auth;
    assert.ok(auth);
    const o = await optionsOf(auth);
    assert.deepEqual([String(o.ca as Buffer), o.rejectUnauthorized, o.headers], ['CA-FILE', false, { Authorization: 'Bearer first' }]);
    writeFileSync(tokenFile, 'second');
    now = 30_000;
    assert.deepEqual((await optionsOf(auth)).headers, { Authorization: 'Bearer first' });
    now = 60_000;
    assert.deepEqual((await optionsOf(auth)).headers, { Authorization: 'Bearer second' });
  });

  it('gives the current context\'s namespace, or none when the context names none', () => {
    const p = kubeconfig('ns.yaml', '    server: https://k:6443', '    token: t', ', namespace: team-a');
    assert.equal(simpleKubeconfig(p)?.namespace, 'team-a');
    const none = kubeconfig('no-ns.yaml', '    server: https://k:6443', '    token: t');
    assert.equal(simpleKubeconfig(none)?.namespace, undefined);
  });

  it('leaves exec plugins and auth providers to client-node (undefined)', () => {
    const p = kubeconfig('exec.yaml', '    server: https://k:6443', '    exec: { command: aws }');
    assert.equal(simpleKubeconfig(p), undefined);
  });

  it('says what is wrong with a broken kubeconfig', () => {
    assert.throws(() => simpleKubeconfig(file('list.yaml', '- a\n')), /is not a kubeconfig/);
    assert.throws(() => simpleKubeconfig(file('noctx.yaml', 'apiVersion: v1\nkind: Config\n')), /no current context; set current-context/);
    const noServer = kubeconfig('noserver.yaml', '    insecure-skip-tls-verify: true', '    token: x');
    assert.throws(() => simpleKubeconfig(noServer), /cluster has no server/);
  });
});

describe('inCluster', () => {
  it('reads the service account token and CA, with an IPv6 host in brackets', async () => {
    const sa = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    const auth = inCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa)?.auth;
    assert.equal(auth?.getCurrentCluster()?.server, 'https://[fd00::1]:443');
    const o = auth ? await optionsOf(auth) : {};
    assert.deepEqual([String(o.ca as Buffer), o.headers], ['SA-CA', { Authorization: 'Bearer sa-token' }]);
    assert.equal(inCluster({}, sa), undefined);
    assert.equal(inCluster({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, join(dir, 'none')), undefined);
  });

  it('takes the namespace from the service account\'s namespace file (trimmed), none without the file', () => {
    const sa = mkdtempSync(join(dir, 'sa-ns-'));
    writeFileSync(join(sa, 'token'), 't');
    writeFileSync(join(sa, 'ca.crt'), 'c');
    const env = { KUBERNETES_SERVICE_HOST: 'k', KUBERNETES_SERVICE_PORT: '443' };
    assert.equal(inCluster(env, sa)?.namespace, undefined);
    writeFileSync(join(sa, 'namespace'), 'milvus-ops\n');
    assert.equal(inCluster(env, sa)?.namespace, 'milvus-ops');
  });
});

describe('loadKubeAuth', () => {
  it('takes --kubeconfig first, then KUBECONFIG, then ~/.kube/config, then in-cluster', async () => {
    const p = kubeconfig('order.yaml', '    server: https://one:6443', '    token: t');
    assert.equal((await loadKubeAuth(p, {})).source, p);
    assert.equal((await loadKubeAuth(undefined, { KUBECONFIG: p, HOME: dir })).source, p);
    const sa = mkdtempSync(join(dir, 'sa2-'));
    writeFileSync(join(sa, 'token'), 't');
    writeFileSync(join(sa, 'ca.crt'), 'c');
    writeFileSync(join(sa, 'namespace'), 'ops');
    const pod = await loadKubeAuth(undefined, { HOME: dir, KUBERNETES_SERVICE_HOST: 'k', KUBERNETES_SERVICE_PORT: '443' }, sa);
    assert.deepEqual([pod.source, pod.namespace], ['in-cluster service account', 'ops']);
  });

  it('carries the context namespace, from our reader and from client-node alike', async () => {
    const own = kubeconfig('ns-own.yaml', '    server: https://k:6443', '    token: t', ', namespace: search');
    assert.deepEqual(await namespaceAndSource(own), ['search', own]);
    const exec = kubeconfig('ns-exec.yaml', '    server: https://k:6443', '    exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/true }', ', namespace: search');
    assert.deepEqual(await namespaceAndSource(exec), ['search', `${exec} (via client-node)`]);
  });

  it('fails with what to do when there is nothing, or the named file is missing', async () => {
    await assert.rejects(loadKubeAuth(undefined, { HOME: dir }, join(dir, 'none')), (e: unknown) => e instanceof NoKubeconfigError && /no kubeconfig: pass --kubeconfig PATH/.test(e.message));
    await assert.rejects(loadKubeAuth(join(dir, 'missing.yaml'), {}), (e: unknown) => e instanceof KubeconfigMissingError && /kubeconfig .*missing\.yaml does not exist/.test(e.message));
    await assert.rejects(loadKubeAuth(undefined, { KUBECONFIG: join(dir, 'gone.yaml') }), KubeconfigMissingError);
  });

  it('hands an exec-plugin kubeconfig to client-node', async () => {
    const p = kubeconfig('exec2.yaml', '    server: https://k:6443', '    exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/true }');
    const r = await loadKubeAuth(p, {});
    assert.match(r.source, /via client-node/);
    assert.equal(r.auth.getCurrentCluster()?.server, 'https://k:6443');
    const { KubeConfig } = await import('@kubernetes/client-node');
    assert.ok(r.auth instanceof KubeConfig, 'client-node\'s KubeConfig, not one of our sources');
  });

  it('merges a KUBECONFIG list with client-node, the first current-context winning as in kubectl', async () => {
    const one = kubeconfig('merge-1.yaml', '    server: https://first:6443', '    token: t', ', namespace: one');
    const two = file('merge-2.yaml', `apiVersion: v1
kind: Config
current-context: other
contexts:
- { name: other, context: { cluster: c2, user: u2, namespace: two } }
clusters:
- { name: c2, cluster: { server: 'https://second:6443' } }
users:
- { name: u2, user: { token: t2 } }
`);
    const r = await loadKubeAuth(undefined, { KUBECONFIG: `${one}${delimiter}${delimiter}${two}` });
    assert.deepEqual([r.source, r.auth.getCurrentCluster()?.server, r.namespace], ['KUBECONFIG (2 files, merged by client-node)', 'https://first:6443', 'one']);
  });
});
