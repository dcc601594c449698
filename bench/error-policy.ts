// `node bench/error-policy.ts [--minutes 10] [--no-standalone]`
// Measures the error policy (DESIGN §4: "a terminal Milvus error: ≤ 6
// attempts in 10 minutes; retryable errors back off per collection") on the
// production entry point (dist/src/main.js, built first), default flags
// except the metrics port, against a real kube-apiserver and:
// - the simulator: a collection with no index (terminal), and a collection
//   too large for the query nodes beside a small one in the same policy
//   (Milvus accepts the load, stalls, cancels it at its load timeout and
//   replays the out-of-memory reason: retryable);
// - Milvus standalone 2.3.5: a collection with no index, counted from the
//   operator's own /metrics.
// Writes bench/results/error-policy.json and prints a summary.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube } from '../test/env/kube.ts';
import { standaloneUnavailableReason, startMilvusStandalone } from '../test/env/milvus.ts';
import { scrapeMetrics, total } from '../test/env/operator-metrics.ts';
import { freePort } from '../test/env/ports.ts';
import { spawnManaged } from '../test/env/process.ts';
import { imageEnv, imageNodeFlags } from './build.ts';
import { until } from '../test/env/wait.ts';
import { httpGet, installCrds } from '../test/reliability/support.ts';
import { startSimulator } from '../test/simulator/index.ts';
import { REPO_ROOT } from './session.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, 'no-standalone': { type: 'boolean', default: false }, 'keep-log': { type: 'string' }, trace: { type: 'string' } } });
const minutes = Number(values.minutes);
const GiB = 2 ** 30;

console.log('building dist/ (npm run build) ...');
execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

const kube = await startKube();
const sim = await startSimulator({ loadMillis: 300 });
const standalone = values['no-standalone'] || standaloneUnavailableReason() ? undefined : await startMilvusStandalone();
const t0 = Date.now();
const loadCalls: Record<string, number[]> = {};
let showCalls = 0;
sim.onCall((c) => {
  const name = (c.request as { collection_name?: string }).collection_name ?? '?';
  if (c.method === 'LoadCollection') (loadCalls[name] ??= []).push(c.at - t0);
  if (c.method === 'ShowCollections') showCalls++;
  trace.push(`${c.at - t0} ${c.method} ${JSON.stringify(c.request).slice(0, 160)}`);
});
const trace: string[] = [];
sim.state.createCollection('default', 'unindexed', { indexed: false });
sim.state.createCollection('default', 'small', { memBytes: 2 ** 20 });
sim.state.createCollection('default', 'huge', { memBytes: 64 * GiB });
sim.state.config.capacityBytes = 8 * GiB;
sim.state.config.loadTimeoutMillis = 1_000;
let observer: MilvusClient | undefined;
if (standalone) {
  observer = new MilvusClient({ address: standalone.address, telemetry: { enabled: false } });
  await observer.createCollection({ collection_name: 'unindexed', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
}
await installCrds(kube, ['bench']);
const policy = (name: string, uri: string, names: string[]): string =>
  `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: bench }\nspec:\n  milvus: { uri: "${uri}" }\n  selector: { names: [${names.join(', ')}] }\n---\n`;
const manifests = policy('sim-unindexed', sim.uri, ['unindexed']) + policy('sim-memory', sim.uri, ['small', 'huge']) + (standalone ? policy('std-unindexed', standalone.uri, ['unindexed']) : '');
const metricsPort = await freePort();
const op = spawnManaged('operator', process.execPath, [...imageNodeFlags(), join(REPO_ROOT, 'dist/src/main.js'), 'run', '--kubeconfig', kube.kubeconfigPath, '--metrics-bind-address', `127.0.0.1:${metricsPort}`, '--health-probe-bind-address', '0', '--log-level', values['keep-log'] ? 'debug' : 'info'], {
  logFile: `${kube.dir}/operator.log`,
  env: { ...process.env, ...imageEnv() },
});
await until('operator metrics', async () => (await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)) !== undefined, 60_000);
const applied = await kube.kubectl(['apply', '-f', '-'], { input: manifests });
if (applied.code !== 0) throw new Error(applied.stderr);
const appliedAt = Date.now() - t0;
const stdLoads: number[] = [];
let lastStd = 0;
const end = Date.now() + minutes * 60_000;
while (Date.now() < end) {
  // Calls to the standalone instance: total minus the simulator's own count.
  const allLoads = total(await scrapeMetrics(`http://127.0.0.1:${metricsPort}/metrics`), 'milvus_load_operator_milvus_requests_total', { method: 'load' });
  const simLoads = Object.values(loadCalls).reduce((a, l) => a + l.length, 0);
  const std = allLoads - simLoads;
  if (std > lastStd) for (let i = lastStd; i < std; i++) stdLoads.push(Date.now() - t0);
  lastStd = Math.max(lastStd, std);
  await new Promise((r) => setTimeout(r, 1_000));
}
const status = async (name: string): Promise<unknown> => JSON.parse((await kube.kubectl(['get', 'clp', name, '-n', 'bench', '-o', 'jsonpath={.status}'])).stdout || '{}');
const result = {
  minutes,
  appliedAtMs: appliedAt,
  simulator: { loadCallsMs: loadCalls, showCollections: showCalls, statuses: { unindexed: await status('sim-unindexed'), memory: await status('sim-memory') } },
  ...(standalone ? { standalone: { loadCallsMs: stdLoads, status: await status('std-unindexed') } } : {}),
};
await mkdir(join(REPO_ROOT, 'bench/results'), { recursive: true });
await writeFile(join(REPO_ROOT, 'bench/results/error-policy.json'), `${JSON.stringify(result, null, 2)}\n`);
const s = (ms: number[]): string => ms.map((t) => ((t - appliedAt) / 1000).toFixed(1)).join(', ');
console.log(`\nafter ${minutes} min (times in s after the apply):`);
console.log(`simulator unindexed: ${loadCalls.unindexed?.length ?? 0} LoadCollection at ${s(loadCalls.unindexed ?? [])}`);
console.log(`simulator huge (out of memory): ${loadCalls.huge?.length ?? 0} LoadCollection at ${s(loadCalls.huge ?? [])}`);
console.log(`simulator small (same policy): ${loadCalls.small?.length ?? 0} LoadCollection at ${s(loadCalls.small ?? [])}`);
console.log(`simulator ShowCollections: ${showCalls} (${(showCalls / (minutes * 2)).toFixed(1)} per 30 s)`);
if (standalone) console.log(`standalone 2.3.5 unindexed: ${stdLoads.length} LoadCollection at ~${s(stdLoads)}`);
await op.stop();
if (values.trace) await writeFile(values.trace, `${trace.join('\n')}\n`);
if (values['keep-log']) await copyFile(`${kube.dir}/operator.log`, values['keep-log']);
await observer?.closeConnection();
await standalone?.dispose();
await sim.stop();
await kube.stop();
