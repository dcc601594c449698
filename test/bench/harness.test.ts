// Smoke run of the benchmark harness (bench/) at tiny sizes: a real
// kube-apiserver, the simulator and the operator process, as `npm run bench`
// runs them. It checks that the harness measures something real (statuses
// actually correct, counts that follow from the workload), never how fast:
// performance figures are for `npm run bench`, not for a timed test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ENTRY_POINT } from '../../bench/build.ts';
import { runBench, type BenchSizes, type ScenarioFile } from '../../bench/bench.ts';
import { SERIES_FIELDS, type MemorySeries } from '../../bench/memory-series.ts';
import { memorySvg } from '../../bench/report-memory.ts';
import { growthSvg, targetsTable } from '../../bench/report.ts';

const TINY: BenchSizes = {
  policies: 20,
  perDatabase: 100,
  resyncSeconds: 1,
  resyncs: 2,
  applies: 5,
  baselinePasses: 2,
  baseline: { policies: [0, 2], instances: [1, 3], policiesAcrossInstances: 2, resyncs: 2, resyncSeconds: 1 },
  secretPolicies: 20,
  secrets: 2,
  growth: [10, 20],
  timeoutMsPer1000: 3_000_000,
  usageSeconds: 25,
};

/** A memory series that holds samples of a live Node process. */
function assertSeries(m: MemorySeries | undefined, what: string): void {
  assert.ok(m && m.rawSamples > 0, `${what}: no memory samples`);
  assert.ok(m.samples.every((r) => r.length === SERIES_FIELDS.length), `${what}: rows of ${SERIES_FIELDS.join(', ')}`);
  assert.ok(m.maxRssMiB > 20 && m.maxRssMiB < 4096, `${what}: a Node process's RSS, in MiB: ${m.maxRssMiB}`);
  assert.ok(m.maxHeapUsedMiB > 0 && m.maxHeapUsedMiB < m.maxRssMiB, `${what}: heap used within RSS`);
}

describe('bench harness (smoke, tiny sizes)', { timeout: 600_000 }, () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs every scenario and produces figures that follow from the workload', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlo-bench-smoke-'));
    const lines: string[] = [];
    const r = await runBench({ sizes: TINY, outDir: dir, command: 'smoke test', log: (l) => lines.push(l) });
    const why = `bench log:\n${lines.join('\n')}`;

    const cold = r['cold-start'];
    assert.ok(cold, why);
    // 20 policies of 10 collections in databases of 100: 2 databases.
    assert.equal(cold.collections, 200);
    assert.equal(cold.databases, 2);
    assert.equal(cold.statusesCorrect, 20, 'every policy status is correct when the cold start reports done');
    assert.equal(cold.milvusMismatches, 0, 'Milvus holds what the policies declare');
    // The layout asks for 14 Loaded policies × 7 loads and 6 Released × 2 releases; the operator must have sent each at least once.
    assert.equal(cold.loadsExpected, 98);
    assert.equal(cold.releasesExpected, 12);
    assert.ok((cold.rpcs.LoadCollection ?? 0) >= cold.loadsExpected, JSON.stringify(cold.rpcs));
    assert.ok((cold.rpcs.ReleaseCollection ?? 0) >= cold.releasesExpected, JSON.stringify(cold.rpcs));
    assert.ok((cold.rpcs.ShowCollections ?? 0) >= cold.databases, JSON.stringify(cold.rpcs));
    assert.ok(cold.statusWrites >= cold.policies, `each status written at least once: ${JSON.stringify(cold.apiserverWrites)}`);
    assert.ok(cold.apiserverWriteTotal >= cold.statusWrites);
    assert.ok(cold.operatorSeconds > 0 && cold.operatorSeconds >= cold.firstRpcSeconds);
    assert.ok(cold.peakRssMiB > 20 && cold.peakRssMiB < 4096, `a Node process's RSS, in MiB: ${cold.peakRssMiB}`);
    assertSeries(cold.memory, 'cold start');
    // The probe samples inside the operator; VmHWM is read from outside and sees every peak.
    assert.ok(cold.memory.maxRssMiB <= cold.peakRssMiB + 1, `sampled RSS ${cold.memory.maxRssMiB} within the peak ${cold.peakRssMiB}`);

    const steady = r['steady-state'];
    assert.ok(steady, why);
    assert.ok(steady.passes >= TINY.resyncs, `at least one pass per resync: ${JSON.stringify(steady)}`);
    assert.ok(steady.resyncPeriods >= TINY.resyncs - 0.5);
    assert.ok((steady.rpcs.ShowCollections ?? 0) >= steady.databases * steady.passes, 'every pass lists every database');
    assert.equal(steady.mutatingRpcs, 0, 'nothing to load or release once converged');
    assert.equal(steady.distinctSecrets, 0);
    assert.equal(steady.secretGets, 0, 'no policy of the main layout names a Secret');
    assertSeries(steady.memory, 'steady state');

    const lat = r.latency;
    assert.ok(lat, why);
    assert.equal(lat.samplesMs.length, TINY.applies);
    assert.ok(lat.samplesMs.every((ms) => ms > 0 && ms < 60_000), JSON.stringify(lat.samplesMs));
    assert.ok(lat.p50Ms <= lat.p99Ms && lat.p99Ms <= lat.maxMs);

    assertSeries(lat.memory, 'latency');

    const base = r.naive;
    assert.ok(base, why);
    // The poller asks once per selected collection per pass.
    assert.ok(base.naiveRpcsPerPass >= cold.collections, JSON.stringify(base));
    assert.ok((base.naiveRpcsByMethod.GetLoadState ?? 0) >= cold.collections * base.passes);
    assert.ok(base.rpcRatio > 0 && base.rpcRatio < 1, `the operator asks less than the poller: ${base.rpcRatio}`);
    assert.ok(base.naiveColdRpcs > 0 && base.naiveColdSeconds > 0);

    const growth = r.growth;
    assert.ok(growth, why);
    assert.deepEqual(growth.points.map((p) => p.policies), [10, 20], JSON.stringify(growth.skipped));
    for (const p of growth.points) assertSeries(p.memory, `growth ${p.policies}`);

    const floor = r.baseline;
    assert.ok(floor, why);
    assert.deepEqual(floor.cases.map((c) => [c.policies, c.instances]), [[0, 1], [2, 1], [3, 3]]);
    for (const c of floor.cases) {
      assertSeries(c.memory, `baseline ${c.policies}/${c.instances}`);
      assert.ok(c.rssAfterStartMiB > 20 && c.rssAfterResyncsMiB > 20 && c.heapUsedAfterStartMiB > 0 && c.heapUsedAfterResyncsMiB > 0, JSON.stringify({ ...c, memory: undefined }));
      assert.ok(c.peakRssMiB >= Math.max(c.rssAfterStartMiB, c.rssAfterResyncsMiB) - 1, 'VmHWM is at least any RSS read before it');
    }

    const sec = r.secrets;
    assert.ok(sec, why);
    // Every status correct with credentials from Secrets: the Secrets were read and allowed for the simulator.
    assert.equal(sec.cold.statusesCorrect, TINY.secretPolicies);
    assert.equal(sec.steady.distinctSecrets, TINY.secrets);
    assert.ok(sec.steady.passes >= TINY.resyncs);
    assert.equal(sec.steady.secretGetsPerPass, Math.round((sec.steady.secretGets / sec.steady.passes) * 10) / 10);

    const use = r.usage;
    assert.ok(use, why);
    assert.equal(use.cold.statusesCorrect, TINY.policies, 'spec.idle and the usage budget leave every status correct');
    assert.equal(use.steady.mutatingRpcs, 0, 'releaseAfter 1h: nothing becomes idle during the run');
    assert.equal(use.proxies, 2);
    assert.ok(use.scrapes.perEndpoint.every((n) => n >= 1), `every endpoint scraped in the window: ${JSON.stringify(use.scrapes)}`);
    // One reading per period: never one per pass, and the passes outnumber the periods at a 1 s resync.
    assert.ok(use.scrapes.total < use.steady.passes * use.proxies, JSON.stringify({ scrapes: use.scrapes, passes: use.steady.passes }));
    assert.equal(use.collectionsWithLastUsed, use.collections, `usage known for every collection: ${JSON.stringify(use.usageUnknown)}`);
    assert.match(targetsTable(r), /steady state with usage-aware memory \(20 policies with spec.idle/);

    const mem = memorySvg(r) ?? '';
    assert.match(mem, /^<svg /);
    assert.ok((mem.match(/<polyline /g) ?? []).length >= 4 * 4, 'floor, cold start, steady state and applies at least');
    assert.ok(growth.points.every((p) => p.statusesCorrect === p.policies && p.milvusMismatches === 0));
    const svg = growthSvg(r) ?? '';
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
    assert.match(targetsTable(r), /cold start: 20 policies over 200 collections/);

    for (const name of ['cold-start', 'steady-state', 'latency', 'naive', 'baseline', 'secrets', 'growth', 'usage']) {
      const file = join(dir, `${name}.json`);
      assert.ok(existsSync(file), `${file} written`);
      const f = JSON.parse(await readFile(file, 'utf8')) as ScenarioFile<unknown>;
      assert.equal(f.scenario, name);
      assert.equal(f.entryPoint, ENTRY_POINT);
      assert.ok(f.machine.cores > 0 && f.machine.cpuModel.length > 0 && f.machine.node.startsWith('v'));
      assert.ok(Date.parse(f.finishedAt) >= Date.parse(f.startedAt));
    }
  });
});
