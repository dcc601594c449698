// Credentials go only where their Secret's owner (or the administrator)
// allows (docs/adr/0008), on a real apiserver with the operator as a
// separate process and Milvus simulators that count the calls carrying
// credentials. A policy author in team-a who may not read Secrets points a
// policy at a server of their own ("stranger") with the team's Secret: the
// operator refuses, and the stranger never receives an authorization header
// while it keeps answering the operator's anonymous calls. Once the owner
// allows that endpoint, the same counter sees the credentials arrive.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'team-a';
const TOKEN = 'sk-team-a-7f3c';
const ANNOTATION = 'milvusload.io/allowed-endpoints';

describe('credentials bound to their endpoints, with the Milvus simulator', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  let owned: MilvusSimulator;
  let stranger: MilvusSimulator;
  let shared: MilvusSimulator;
  let operator: ManagedProcess;
  const logFile = (): string => `${kube.dir}/operator-credentials.log`;
  const cond = async (name: string, type: string, field: 'reason' | 'status' | 'message') =>
    (await kube.kubectl(['get', 'clp', name, '-n', NS, '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].${field}}`])).stdout;
  const waitReason = async (name: string, reason: string) =>
    until(`${name}: Ready reason ${reason}`, async () => (await cond(name, 'Ready', 'reason')) === reason).catch(async (e: unknown) => {
      const st = await kube.kubectl(['get', 'clp', name, '-n', NS, '-o', 'jsonpath={.status}']);
      throw new Error(`${(e as Error).message}; status: ${st.stdout}\noperator log:\n${operator.tail(20)}`);
    });

  before(async () => {
    owned = await startSimulator({ loadMillis: 0 });
    stranger = await startSimulator({ loadMillis: 0 });
    shared = await startSimulator({ loadMillis: 0 });
    kube = await startKube();
    // One collection per policy, so that no two policies select the same one (that would be a Conflict).
    for (const name of ['exfiltrate', 'anonymous']) stranger.state.createCollection('default', name, { rows: 10 });
    for (const name of ['allowed', 'unannotated']) owned.state.createCollection('default', name, { rows: 10 });
    shared.state.createCollection('default', 'central', { rows: 10 });
    owned.faults.requireAuth({ token: TOKEN });
    shared.faults.requireAuth({ token: TOKEN });
    // The stranger accepts anything: it is the author's server, and only counts what it gets.
    const k = async (args: string[], input?: string): Promise<void> => {
      const r = await kube.kubectl(args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    };
    await k(['apply', '-f', `${root}crds/`]);
    await k(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await k(['create', 'namespace', NS]);
    await k(['create', 'secret', 'generic', 'milvus-creds', '-n', NS, `--from-literal=token=${TOKEN}`]);
    await k(['annotate', 'secret', 'milvus-creds', '-n', NS, `${ANNOTATION}=${owned.address}`]);
    await k(['create', 'secret', 'generic', 'unannotated', '-n', NS, `--from-literal=token=${TOKEN}`]);
    const p = (name: string, uri: string, secret?: string): string =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: ${NS} }\nspec:\n  milvus: { uri: "${uri}"${secret ? `, credentialsSecret: { name: ${secret} }` : ''} }\n  selector: { names: [${name}] }\n---\n`;
    await k(
      ['apply', '-f', '-'],
      p('exfiltrate', stranger.uri, 'milvus-creds') +
        p('anonymous', stranger.uri) +
        p('allowed', owned.uri, 'milvus-creds') +
        p('unannotated', owned.uri, 'unannotated') +
        p('central', shared.uri, 'unannotated') +
        p('unreachable', 'http://127.0.0.1:1'),
    );
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: logFile(), resync: '2s', logLevel: 'debug', args: ['--allowed-milvus-endpoints', shared.address] })).proc;
  });

  after(async () => {
    await operator?.stop();
    await Promise.all([owned?.stop(), stranger?.stop(), shared?.stop(), kube?.stop()]);
  });

  it('an endpoint the Secret does not allow: CredentialsNotAllowed, saying what to add', async () => {
    await waitReason('exfiltrate', 'CredentialsNotAllowed');
    assert.equal(await cond('exfiltrate', 'Degraded', 'status'), 'True');
    const message = await cond('exfiltrate', 'Ready', 'message');
    assert.ok(message.includes(`Secret ${NS}/milvus-creds (spec.milvus.credentialsSecret) is not allowed for ${stranger.address}`), message);
    assert.ok(message.includes(`kubectl annotate secret -n ${NS} milvus-creds --overwrite ${ANNOTATION}="${owned.address},${stranger.address}"`), message);
    await waitReason('unannotated', 'CredentialsNotAllowed');
    assert.match(await cond('unannotated', 'Ready', 'message'), /it has no such annotation/);
  });

  it('the credential never reaches the stranger, which the operator keeps calling anonymously', async () => {
    await waitReason('anonymous', 'Loaded');
    // Several passes over the stranger's instance, each observing it once, all without credentials.
    const seen = stranger.totalCalls();
    await until('three more passes over the stranger', async () => stranger.totalCalls() >= seen + 3 && (await cond('exfiltrate', 'Ready', 'reason')) === 'CredentialsNotAllowed');
    assert.ok(stranger.totalCalls() > 0, 'the stranger is reachable and called');
    assert.equal(stranger.authorizedCalls(), 0, 'no call to the stranger carried credentials');
  });

  it('the endpoints the Secret or the administrator allow get the credentials', async () => {
    await waitReason('allowed', 'Loaded');
    assert.ok(owned.authorizedCalls() > 0, 'the owned Milvus received the credentials');
    await waitReason('central', 'Loaded');
    assert.ok(shared.authorizedCalls() > 0, '--allowed-milvus-endpoints lets any Secret reach the shared Milvus');
  });

  it('an unreachable endpoint keeps its reason, and its socket error stays in the debug log', async () => {
    await until('unreachable: MilvusUnavailable', async () => (await cond('unreachable', 'Degraded', 'reason')) === 'MilvusUnavailable');
    const statuses = (await kube.kubectl(['get', 'clp', 'unreachable', '-n', NS, '-o', 'jsonpath={.status}'])).stdout;
    assert.doesNotMatch(statuses, /ECONNREFUSED|127\.0\.0\.1:1\b|No connection established/, statuses);
    assert.match(await cond('unreachable', 'Degraded', 'message'), /no connection to Milvus/);
    await until('the socket error in the debug log', async () => /"level":"debug".*ECONNREFUSED/.test(await readFile(logFile(), 'utf8')));
  });

  it('once the owner allows the stranger, the same counter sees the credentials arrive', async () => {
    const r = await kube.kubectl(['annotate', 'secret', 'milvus-creds', '-n', NS, '--overwrite', `${ANNOTATION}=${owned.address},${stranger.address}`]);
    assert.equal(r.code, 0, r.stderr);
    await waitReason('exfiltrate', 'Loaded');
    assert.ok(stranger.authorizedCalls() > 0, 'the counter that stayed at 0 counts credentials once they are allowed');
  });

  it('the token appears in no status, event or log line', async () => {
    const all = (await kube.kubectl(['get', 'clp,events', '-n', NS, '-o', 'yaml'])).stdout;
    assert.ok(!all.includes(TOKEN), 'no token in statuses or events');
    assert.ok(!(await readFile(logFile(), 'utf8')).includes(TOKEN), 'no token in the operator log');
    assert.ok(operator.isRunning());
  });
});
