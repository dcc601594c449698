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
import { runBench, type BenchSizes, type ScenarioFile } from '../../bench/bench.ts';
import { growthSvg, targetsTable } from '../../bench/report.ts';

const TINY: BenchSizes = { policies: 20, perDatabase: 100, resyncSeconds: 1, resyncs: 2, applies: 5, baselinePasses: 2, growth: [10, 20], timeoutMsPer1000: 3_000_000 };

describe('bench harness (smoke, tiny sizes)', { timeout: 240_000 }, () => {
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

    const steady = r['steady-state'];
    assert.ok(steady, why);
    assert.ok(steady.passes >= TINY.resyncs, `at least one pass per resync: ${JSON.stringify(steady)}`);
    assert.ok(steady.resyncPeriods >= TINY.resyncs - 0.5);
    assert.ok((steady.rpcs.ShowCollections ?? 0) >= steady.databases * steady.passes, 'every pass lists every database');
    assert.equal(steady.mutatingRpcs, 0, 'nothing to load or release once converged');

    const lat = r.latency;
    assert.ok(lat, why);
    assert.equal(lat.samplesMs.length, TINY.applies);
    assert.ok(lat.samplesMs.every((ms) => ms > 0 && ms < 60_000), JSON.stringify(lat.samplesMs));
    assert.ok(lat.p50Ms <= lat.p99Ms && lat.p99Ms <= lat.maxMs);

    const base = r.baseline;
    assert.ok(base, why);
    // The poller asks once per selected collection per pass.
    assert.ok(base.naiveRpcsPerPass >= cold.collections, JSON.stringify(base));
    assert.ok((base.naiveRpcsByMethod.GetLoadState ?? 0) >= cold.collections * base.passes);
    assert.ok(base.rpcRatio > 0 && base.rpcRatio < 1, `the operator asks less than the poller: ${base.rpcRatio}`);
    assert.ok(base.naiveColdRpcs > 0 && base.naiveColdSeconds > 0);

    const growth = r.growth;
    assert.ok(growth, why);
    assert.deepEqual(growth.points.map((p) => p.policies), [10, 20], JSON.stringify(growth.skipped));
    assert.ok(growth.points.every((p) => p.statusesCorrect === p.policies && p.milvusMismatches === 0));
    const svg = growthSvg(r) ?? '';
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
    assert.match(targetsTable(r), /cold start: 20 policies over 200 collections/);

    for (const name of ['cold-start', 'steady-state', 'latency', 'baseline', 'growth']) {
      const file = join(dir, `${name}.json`);
      assert.ok(existsSync(file), `${file} written`);
      const f = JSON.parse(await readFile(file, 'utf8')) as ScenarioFile<unknown>;
      assert.equal(f.scenario, name);
      assert.ok(f.machine.cores > 0 && f.machine.cpuModel.length > 0 && f.machine.node.startsWith('v'));
      assert.ok(Date.parse(f.finishedAt) >= Date.parse(f.startedAt));
    }
  });
});
