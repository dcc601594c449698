// `milvus-load-operator plan -f`, run as a user runs it (a separate process),
// against the Milvus simulator: the right line for each case, and not one
// mutating call (the simulator counts LoadCollection, ReleaseCollection,
// LoadPartitions and ReleasePartitions).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlanReport } from '../../src/cli/plan.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { cli } from './run-cli.ts';

function policy(name: string, uri: string, spec: string, meta = ''): string {
  return `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: ${name}, namespace: search${meta} }
spec:
  milvus: { uri: "${uri}" }
${spec}---
`;
}

describe('plan against the Milvus simulator', { timeout: 300_000 }, () => {
  let sim: MilvusSimulator;
  let tight: MilvusSimulator;
  let secured: MilvusSimulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const sims = (): MilvusSimulator[] => [sim, tight, secured];
  const mutating = (): number => sims().reduce((n, s) => n + s.mutatingCalls(), 0);

  before(async () => {
    sim = await startSimulator({ loadMillis: 0 });
    tight = await startSimulator({ loadMillis: 0 });
    secured = await startSimulator({ loadMillis: 0 });
    dir = await mkdtemp(join(tmpdir(), 'mlo-plan-sim-'));
    // No cluster: no kubeconfig anywhere this process could find.
    env = { ...process.env, KUBECONFIG: '', HOME: dir, NO_COLOR: '', MLO_MILVUS_TOKEN: '' };
    for (const name of ['products', 'old', 'shared', 'steady', 'fresh', 'office']) sim.state.createCollection('default', name, { rows: 100 });
    for (const name of ['old', 'steady', 'fresh']) sim.state.loadDirectly('default', name, { done: true });
    tight.state.createCollection('default', 'big_a', { rows: 10 });
    tight.state.createCollection('default', 'big_b', { rows: 10 });
    secured.state.createCollection('default', 'private', { rows: 10 });
    secured.faults.requireAuth({ token: 'sk-plan' });
    const manifests = [
      policy('hot', sim.uri, '  selector: { names: [products] }\n'),
      policy('cold', sim.uri, '  selector: { names: [old] }\n  state: Released\n'),
      policy('shared-high', sim.uri, '  selector: { names: [shared] }\n  priority: 100\n'),
      policy('shared-low', sim.uri, '  selector: { names: [shared] }\n  priority: 1\n  state: Released\n'),
      policy('steady', sim.uri, '  selector: { names: [steady] }\n'),
      policy('fresh', sim.uri, '  selector: { names: [fresh] }\n', ', annotations: { milvusload.io/refresh: "r1" }'),
      // Only open on Mondays 03:00-04:00 UTC; planned --at a Wednesday noon.
      policy('office', sim.uri, '  selector: { names: [office] }\n  schedule: { timeZone: UTC, windows: [{ days: [Mon], start: "03:00", end: "04:00" }] }\n'),
      policy('big-a', tight.uri, '  selector: { names: [big_a] }\n  priority: 100\n  load: { memoryEstimate: 600Mi }\n'),
      policy('big-b', tight.uri, '  selector: { names: [big_b] }\n  priority: 10\n  load: { memoryEstimate: 600Mi }\n'),
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadBudget\nmetadata: { name: tight }\nspec: { milvusUri: "${tight.uri}", memoryLimit: 1Gi }\n---\n`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ignored }\n`,
    ];
    await writeFile(join(dir, 'policies.yaml'), manifests.join(''));
    await writeFile(
      join(dir, 'secured.yaml'),
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: private, namespace: search }\nspec:\n  milvus: { uri: "${secured.uri}", credentialsSecret: { name: milvus-token } }\n  selector: { names: [private] }\n`,
    );
  });

  after(async () => {
    await Promise.all(sims().map((s) => s?.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const at = ['--at', '2026-12-02T12:00:00Z'];

  it('shows load, release, refresh, conflict, deferred (budget and schedule) with their reasons, and changes nothing', async () => {
    const before = mutating();
    const r = await cli(['plan', '-f', join(dir, 'policies.yaml'), ...at], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const line = (re: RegExp): void => assert.match(r.stdout, re, r.stdout);
    line(/^ {2}\+ load\s+default\/products\s+search\/hot\s+Declared: load requested$/m);
    line(/^ {2}- release\s+default\/old\s+search\/cold\s+Declared: released$/m);
    line(/^ {2}~ refresh\s+default\/fresh\s+search\/fresh\s+Refresh: refresh requested \(milvusload\.io\/refresh=r1\)$/m);
    line(/^ {2}\+ load\s+default\/shared\s+search\/shared-high\s+Declared: load requested$/m);
    line(/^ {2}x conflict\s+default\/shared\s+search\/shared-low\s+Conflict: policy search\/shared-high \(priority 100\) also selects this collection and wins/m);
    line(/^ {2}! defer\s+default\/office\s+search\/office\s+OutsideSchedule: outside the schedule windows; it loads at 2026-12-07T03:00:00Z$/m);
    line(/^ {2}\+ load\s+default\/big_a\s+search\/big-a\s+Declared: load requested \[est\. 600Mi\]$/m);
    line(/^ {2}! defer\s+default\/big_b\s+search\/big-b\s+OverBudget: needs 600Mi \(spec estimate\) but budget tight has 424Mi of 1Gi left/m);
    line(/budget tight \(preemption Never\): limit 1Gi/);
    line(/= admitted\s+600Mi {2}of 1Gi; 424Mi left/);
    line(/^Plan: 3 to load, 1 to refresh, 1 to release, 2 deferred, 1 conflict\.$/m);
    assert.doesNotMatch(r.stdout, /steady/, 'nothing-lines only with -v');
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
    assert.equal(mutating() - before, 0, 'plan sent a load or release');
    assert.ok(sim.totalCalls() > 0, 'plan did read Milvus');
  });

  it('-v adds = nothing; -o json is the same plan for machines', async () => {
    const before = mutating();
    const v = await cli(['plan', '-f', join(dir, 'policies.yaml'), '-v', ...at], env);
    assert.match(v.stdout, /^ {2}= nothing\s+default\/steady\s+search\/steady\s+Loaded: loaded$/m);
    const j = await cli(['plan', '-f', join(dir, 'policies.yaml'), '-o', 'json', ...at], env);
    assert.equal(j.code, 0, j.stderr);
    const report = JSON.parse(j.stdout) as PlanReport;
    assert.deepEqual(report.summary, { load: 3, release: 1, refresh: 1, defer: 2, conflict: 1, problem: 0, nothing: 1 });
    assert.equal(report.changesPending, true);
    const tightView = report.instances.find((i) => i.instance === tight.address);
    const tightBudget = tightView?.budgets[0];
    assert.ok(tightBudget && 'limitBytes' in tightBudget, `budget not computed: ${JSON.stringify(tightBudget)}`);
    assert.equal(tightBudget.limitBytes, 2 ** 30);
    assert.equal(tightBudget.deferredCount, 1);
    assert.equal(mutating() - before, 0);
  });

  it('--detailed-exitcode: 3 with changes pending, 0 when there are none', async () => {
    const changes = await cli(['plan', '-f', join(dir, 'policies.yaml'), '--detailed-exitcode', ...at], env);
    assert.equal(changes.code, 3, changes.stderr);
    const none = await cli(['plan', '-f', '-', '--detailed-exitcode'], env, policy('steady', sim.uri, '  selector: { names: [steady] }\n'));
    assert.equal(none.code, 0, none.stdout + none.stderr);
    assert.match(none.stdout, /No changes: Milvus is as the policies want it\./);
  });

  it('a credentials Secret without a cluster: says it cannot, exit 1; with --token it plans', async () => {
    const file = join(dir, 'secured.yaml');
    const without = await cli(['plan', '-f', file], env);
    assert.equal(without.code, 1);
    assert.match(without.stdout, /\? search\/private: SecretUnreadable: Secret search\/milvus-token \(spec\.milvus\.credentialsSecret\) cannot be read: no kubeconfig; give --kubeconfig, or the Milvus token with --token or MLO_MILVUS_TOKEN/);
    const withToken = await cli(['plan', '-f', file, '--token', 'sk-plan'], env);
    assert.equal(withToken.code, 0, withToken.stdout + withToken.stderr);
    assert.match(withToken.stdout, /\+ load\s+default\/private\s+search\/private/);
    const wrong = await cli(['plan', '-f', file], { ...env, MLO_MILVUS_TOKEN: 'sk-wrong' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /AuthenticationFailed/);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /sk-wrong/, 'the token never appears in the output');
    assert.equal(secured.mutatingCalls(), 0);
  });

  it('an unreachable Milvus fails with exit 1 and a reason; a bad manifest with validate\'s message', async () => {
    const down = await startSimulator();
    const uri = down.uri;
    await down.stop();
    const r = await cli(['plan', '-f', '-'], env, policy('gone', uri, '  selector: { names: [x] }\n'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\? search\/gone: Milvus(Unavailable|Timeout): .*check that Milvus is running/);
    assert.equal(r.stderr, '', 'no stack trace, no noise');
    const bad = await cli(['plan', '-f', '-'], env, policy('bad', sim.uri, '  selector: { names: [x] }\n  state: Unloaded\n'));
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /-#0 CollectionLoadPolicy search\/bad: spec\.state: Unsupported value: "Unloaded"/);
    assert.doesNotMatch(bad.stdout + bad.stderr, /\n\s+at /, 'no stack trace');
  });

  it('usage errors exit 2 without a stack trace', async () => {
    const r = await cli(['plan', '--output', 'yaml'], env);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'milvus-load-operator: -o yaml: use text or json\n');
    const noSource = await cli(['plan'], env);
    assert.equal(noSource.code, 2);
    assert.match(noSource.stderr, /no -f and no kubeconfig: give manifests with -f FILE\|DIR\|-, or a cluster with --kubeconfig/);
    const missing = await cli(['plan', '-f', join(dir, 'nope.yaml')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: no such file or directory/);
  });
});
