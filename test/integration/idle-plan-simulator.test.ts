// `milvus-load-operator plan` for policies with `spec.idle`, run as a user
// runs it, against the simulator and its proxies' /metrics: plan reads the
// budget's usage source once through the operator's own UsageWatches and
// says what one reading tells (a /metrics source: usage starts now, nothing
// is released for idleness), or why usage is unknown. Exit codes as always.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlanReport } from '../../src/cli/plan.ts';
import { freePort } from '../env/ports.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { clientFor } from '../simulator/sdk.ts';
import { cli } from './run-cli.ts';

const idlePolicy = (uri: string): string => `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: tenants, namespace: search }
spec:
  milvus: { uri: "${uri}" }
  selector: { patterns: ["t_*"] }
  idle: { releaseAfter: 1m, overrideLoaded: true, loadOnUse: true }
---
`;
const budget = (uri: string, usage: string): string => `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadBudget
metadata: { name: b }
spec:
  milvusUri: "${uri}"
  memoryLimit: 8Gi
${usage}`;

describe('plan with usage sources (simulator)', { timeout: 300_000 }, () => {
  let sim: MilvusSimulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let endpoints: string[];

  before(async () => {
    sim = await startSimulator({ loadMillis: 0 });
    dir = await mkdtemp(join(tmpdir(), 'mlo-idle-plan-'));
    env = { ...process.env, KUBECONFIG: '', HOME: dir, NO_COLOR: '', MLO_MILVUS_TOKEN: '' };
    for (const name of ['t_used', 't_idle']) {
      sim.state.createCollection('default', name, { rows: 10 });
      sim.state.loadDirectly('default', name, { done: true });
    }
    sim.proxyMetrics.setProxies(2);
    endpoints = await sim.proxyMetrics.listen();
    // Requests before the plan: a single /metrics reading cannot tell them from old ones.
    await clientFor(sim).search({ collection_name: 't_used', data: [[0, 0, 0, 0]], limit: 1 });
  });
  after(async () => {
    await sim?.proxyMetrics.close();
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a proxies' /metrics source: read once, usage starts now, nothing released for idleness", async () => {
    const usage = `  usage:\n    milvusMetrics: { endpoints: ${JSON.stringify(endpoints)} }\n    period: 10s\n`;
    const input = idlePolicy(sim.uri) + budget(sim.uri, usage);
    const r = await cli(['plan', '-f', '-', '--detailed-exitcode'], env, input);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ {2}usage \(MilvusMetrics\): read once: .*only a baseline.*nothing is released for idleness/m, r.stdout);
    assert.doesNotMatch(r.stdout, /NoUsageSource|UsageNoSource|usage unknown/, r.stdout);
    assert.match(r.stdout, /^Plan: 0 to load, 0 to release/m);
    const j = await cli(['plan', '-f', '-', '-o', 'json'], env, input);
    const report = JSON.parse(j.stdout) as PlanReport;
    assert.equal(report.instances[0]?.usage?.kind, 'MilvusMetrics');
    assert.deepEqual(report.instances[0]?.policies[0]?.usage, {
      known: true,
      reason: 'UsageSeen',
      message: 'the usage source sees requests for the selected collections; idle ones are released after spec.idle.releaseAfter',
    });
    assert.equal(sim.mutatingCalls(), 0, 'plan sent a load or release');
  });

  it('no usage source on the budget: plan says usage is unknown and why', async () => {
    const r = await cli(['plan', '-f', '-'], env, idlePolicy(sim.uri) + budget(sim.uri, ''));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ {2}! search\/tenants: usage unknown, UsageNoSource: no CollectionLoadBudget with spec\.usage/m, r.stdout);
  });

  it('a source that does not answer: unknown, UsageUnavailable, nothing released; the plan is still complete (exit 0)', async () => {
    const usage = `  usage:\n    milvusMetrics: { endpoints: ["http://127.0.0.1:${await freePort()}/metrics"] }\n`;
    const r = await cli(['plan', '-f', '-'], env, idlePolicy(sim.uri) + budget(sim.uri, usage));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ {2}usage \(MilvusMetrics\): unknown, UsageUnavailable: .*no collection is released for idleness/m, r.stdout);
    assert.match(r.stdout, /^Plan: 0 to load, 0 to release/m);
    assert.equal(sim.mutatingCalls(), 0);
  });
});
