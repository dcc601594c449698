// Failures the real servers cannot be made to produce, on a real apiserver
// with the Milvus simulator and the operator as a separate process: each
// gives a clear condition and reason, nothing crashes, and the healthy
// policy beside them converges as usual.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startKube, type KubeEnv } from '../env/kube.ts';
import type { ManagedProcess } from '../env/process.ts';
import { spawnOperator } from '../env/operator.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** A password that appears nowhere else (not in a Secret's name, not in a message): any sighting is a leak. */
const WRONG_PASSWORD = 'pw-3f9c1a7e-never-shown';


describe('failures, with the Milvus simulator', { timeout: 300_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let secured: MilvusSimulator;
  let down: MilvusSimulator;
  let tight: MilvusSimulator;
  let operator: ManagedProcess;
  const cond = async (name: string, type: string, field: 'reason' | 'status' | 'message') =>
    (await kube.kubectl(['get', 'clp', name, '-n', 'ops', '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].${field}}`])).stdout;

  before(async () => {
    // One at a time, so that `after` can stop whatever did start.
    sim = await startSimulator({ loadMillis: 200 });
    secured = await startSimulator({ loadMillis: 0 });
    down = await startSimulator();
    tight = await startSimulator();
    kube = await startKube();
    sim.state.createCollection('default', 'healthy', { rows: 100 });
    sim.state.createCollection('default', 'unindexed', { indexed: false });
    sim.state.createCollection('default', 'stuck', { rows: 10 });
    // Its own instance: a stalled load holds memory, as in Milvus, and would starve the others.
    tight.state.createCollection('default', 'huge', { memBytes: 10 * 2 ** 30 });
    tight.state.capacityBytes = 2 ** 30;
    tight.state.config.loadTimeoutMillis = 2_000;
    sim.faults.stuckLoads({ atPercent: 40, collection: 'stuck' });
    secured.state.createCollection('default', 'private', { rows: 10 });
    secured.faults.authRequired({ user: 'alice', password: 'right' });
    down.state.createCollection('default', 'gone', { rows: 10 });
    await down.faults.unavailable(true, 'refuse');

    await kube.kubectl(['apply', '-f', `${root}crds/`]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', '--timeout=60s']);
    await kube.kubectl(['create', 'namespace', 'ops']);
    await kube.kubectl(['create', 'secret', 'generic', 'wrong-creds', '-n', 'ops', '--from-literal=username=alice', `--from-literal=password=${WRONG_PASSWORD}`]);
    await kube.kubectl(['create', 'secret', 'generic', 'garbage', '-n', 'ops', '--from-literal=nothing=here']);
    // Both may be sent to the secured simulator (docs/adr/0008): what follows is about their content.
    await kube.kubectl(['annotate', 'secret', 'wrong-creds', 'garbage', '-n', 'ops', `milvusload.io/allowed-endpoints=${secured.address}`]);
    const p = (name: string, uri: string, spec: string) =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: ops }\nspec:\n  milvus: { uri: "${uri}" }\n${spec}---\n`;
    const yaml = [
      p('healthy', sim.uri, '  selector: { names: [healthy] }\n'),
      p('unindexed', sim.uri, '  selector: { names: [unindexed] }\n'),
      p('huge', tight.uri, '  selector: { names: [huge] }\n'),
      p('stuck', sim.uri, '  selector: { names: [stuck] }\n  load: { timeoutSeconds: 10 }\n'),
      p('down', down.uri, '  selector: { names: [gone] }\n'),
    ].join('');
    const creds = (name: string, secret: string) =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: ops }\nspec:\n  milvus:\n    uri: "${secured.uri}"\n    credentialsSecret: { name: ${secret} }\n  selector: { names: [private] }\n---\n`;
    const r = await kube.kubectl(['apply', '-f', '-'], { input: yaml + creds('badcreds', 'wrong-creds') + creds('garbage', 'garbage') + creds('nosecret', 'missing') });
    assert.equal(r.code, 0, r.stderr);
    operator = (await spawnOperator({ kubeconfig: kube.kubeconfigPath, logFile: `${kube.dir}/operator.log`, logLevel: 'debug' })).proc;
  });

  after(async () => {
    await operator?.stop();
    await Promise.all([sim?.stop(), secured?.stop(), down?.stop(), tight?.stop(), kube?.stop()]);
  });

  it('the healthy policy converges while the others fail', async () => {
    await until('healthy Ready', async () => (await cond('healthy', 'Ready', 'status')) === 'True').catch(async (e: unknown) => {
      const st = await kube.kubectl(['get', 'clp', 'healthy', '-n', 'ops', '-o', 'jsonpath={.status}']);
      throw new Error(`${(e as Error).message}; status: ${st.stdout}`);
    });
  });

  it('a missing index: IndexNotFound, saying to create one', async () => {
    await until('IndexNotFound', async () => (await cond('unindexed', 'Ready', 'reason')) === 'IndexNotFound').catch(async (e: unknown) => {
      const st = await kube.kubectl(['get', 'clp', 'unindexed', '-n', 'ops', '-o', 'jsonpath={.status}']);
      throw new Error(`${(e as Error).message}; status: ${st.stdout}`);
    });
    assert.match(await cond('unindexed', 'Ready', 'message'), /create an index/);
    assert.equal(await cond('unindexed', 'Degraded', 'status'), 'True');
  });

  it('insufficient memory: Milvus gives the load up, and the reason reaches the status', async () => {
    await until('InsufficientMemory', async () => (await cond('huge', 'Ready', 'reason')) === 'InsufficientMemory');
    assert.match(await cond('huge', 'Ready', 'message'), /memory/i);
  });

  it('a stuck load turns into LoadTimedOut', async () => {
    await until('LoadTimedOut', async () => (await cond('stuck', 'Ready', 'reason')) === 'LoadTimedOut', 60_000);
    assert.match(await cond('stuck', 'Ready', 'message'), /40%/);
  });

  it('an unreachable Milvus: MilvusUnavailable', async () => {
    // A closed port is refused at once: MilvusUnavailable, never a timeout.
    await until('MilvusUnavailable', async () => (await cond('down', 'Degraded', 'reason')) === 'MilvusUnavailable');
  });

  it('wrong, garbage and missing credentials each say what to fix', async () => {
    await until('AuthenticationFailed', async () => (await cond('badcreds', 'Ready', 'reason')) === 'AuthenticationFailed');
    await until('SecretInvalid', async () => (await cond('garbage', 'Ready', 'reason')) === 'SecretInvalid');
    assert.match(await cond('garbage', 'Ready', 'message'), /token.*username.*password/);
    await until('SecretNotFound', async () => (await cond('nosecret', 'Ready', 'reason')) === 'SecretNotFound');
  });

  it('never puts a credential in status, events or logs, and never crashes', async () => {
    const all = (await kube.kubectl(['get', 'clp,events', '-n', 'ops', '-o', 'yaml'])).stdout;
    // The check must be able to fail: the policy that used the password was reported on.
    assert.match(all, /AuthenticationFailed/, 'the status and events name the failure of the policy that used the password');
    assert.ok(!all.includes(WRONG_PASSWORD), 'the password appeared in a status or an event');
    assert.ok(!(await readFile(`${kube.dir}/operator.log`, 'utf8')).includes(WRONG_PASSWORD), 'the password appeared in the operator log');
    assert.ok(operator.isRunning());
    await until('healthy still Ready', async () => (await cond('healthy', 'Ready', 'status')) === 'True');
  });
});
