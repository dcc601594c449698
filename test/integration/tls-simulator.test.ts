// TLS to Milvus: an https:// URI, the CA from a Secret, and a server name
// that differs from the address. The simulator serves TLS with a
// certificate from a CA made for the test (no real server here speaks TLS).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function makeCerts(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlo-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=milvus-test-ca');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:milvus.test\nextendedKeyUsage=serverAuth\n');
  ssl('req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=milvus.test');
  ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), cert: read('srv.crt'), key: read('srv.key') };
}


describe('TLS to Milvus, with the simulator', { timeout: 240_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let operator: ManagedProcess;
  const cond = async (name: string, type: string, field: string) =>
    (await kube.kubectl(['get', 'clp', name, '-n', 'tls', '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].${field}}`])).stdout;

  before(async () => {
    const certs = makeCerts();
    sim = await startSimulator({ tls: { certPem: certs.cert, keyPem: certs.key } });
    sim.state.createCollection('default', 'secure', { rows: 10 });
    kube = await startKube();
    await kube.kubectl(['apply', '-f', `${root}crds/`]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'tls']);
    const caFile = join(kube.dir, 'milvus-ca.crt');
    writeFileSync(caFile, certs.ca);
    assert.equal((await kube.kubectl(['create', 'secret', 'generic', 'milvus-ca', '-n', 'tls', `--from-file=ca.crt=${caFile}`])).code, 0);
    const policy = (name: string, tls: string) =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: tls }\nspec:\n  milvus:\n    uri: "${sim.uri}"\n${tls}  selector: { names: [secure] }\n---\n`;
    const r = await kube.kubectl(['apply', '-f', '-'], {
      input: policy('trusted', '    tls: { caSecret: { name: milvus-ca }, serverName: milvus.test }\n') + policy('untrusted', ''),
    });
    assert.equal(r.code, 0, r.stderr);
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log` })).proc;
  });

  after(async () => {
    await operator?.stop();
    await sim?.stop();
    await kube?.stop();
  });

  it('connects over TLS with the CA from the Secret and the server name, and loads', async () => {
    assert.match(sim.uri, /^https:/);
    await until('trusted Ready', async () => (await cond('trusted', 'Ready', 'status')) === 'True');
    assert.equal(sim.state.collection('default', 'secure')?.load !== undefined, true);
  });

  it('without the CA the server is not trusted: Degraded, and the operator keeps running', async () => {
    await until('untrusted Degraded', async () => (await cond('untrusted', 'Degraded', 'status')) === 'True');
    assert.match(await cond('untrusted', 'Degraded', 'reason'), /^Milvus/);
    assert.ok(operator.isRunning());
  });
});
