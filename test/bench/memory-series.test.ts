// The pure parts of the bench's memory reporting: the probe's lines, the
// series cut and thinned for storage, the chart, the compact JSON and the
// per-instance arithmetic. No servers here; test/bench/harness.test.ts runs
// the bench itself at tiny sizes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineCases, type BaselineCase, type BaselineResult } from '../../bench/baseline.ts';
import { compactJson } from '../../bench/bench.ts';
import { memoryChartSvg } from '../../bench/memory-chart.ts';
import { memorySeries, parseProbe, sampleAt, type RawSample } from '../../bench/memory-series.ts';
import { perInstanceMiB } from '../../bench/report-memory.ts';

const MiB = 1024 * 1024;
const sample = (at: number, rssMiB: number, heapMiB = 10, extMiB = 2, abMiB = 1): RawSample => ({ at, rss: rssMiB * MiB, heapUsed: heapMiB * MiB, external: extMiB * MiB, arrayBuffers: abMiB * MiB });

describe('parseProbe', () => {
  it('reads whole lines and ignores one cut short by a kill', () => {
    const text = `1000 ${100 * MiB} ${30 * MiB} ${3 * MiB} ${MiB}\n1200 ${101 * MiB} ${31 * MiB} ${3 * MiB} ${MiB}\n1400 ${102 * MiB} 3`;
    const s = parseProbe(text);
    assert.deepEqual(s.map((x) => x.at), [1000, 1200]);
    assert.equal(s[1]?.heapUsed, 31 * MiB);
  });
});

describe('memorySeries', () => {
  const all = Array.from({ length: 1000 }, (_, i) => sample(10_000 + i * 200, 100 + (i === 537 ? 400 : i % 7)));

  it('keeps only the window, counts seconds from the origin and reports the spacing', () => {
    const m = memorySeries(all, 9_000, 10_000, 10_000 + 9 * 200);
    assert.equal(m.rawSamples, 10);
    assert.deepEqual(m.samples[0], [1, 100, 10, 2, 1]);
    assert.equal(m.medianIntervalMs, 200);
    assert.equal(m.maxGapMs, 200);
    assert.equal(m.origin, new Date(9_000).toISOString());
  });

  it('thins a long window to at most maxPoints rows without losing the peak', () => {
    const m = memorySeries(all, 10_000, 0, Number.MAX_SAFE_INTEGER, 100);
    assert.ok(m.samples.length <= 100, String(m.samples.length));
    assert.equal(m.maxRssMiB, 500);
    assert.equal(Math.max(...m.samples.map((r) => r[1] ?? 0)), 500, 'the 400 MiB spike survives thinning');
    const times = m.samples.map((r) => r[0] ?? 0);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
  });

  it('shows a blocked event loop as a long gap', () => {
    const m = memorySeries([sample(0, 1), sample(200, 1), sample(3_200, 1), sample(3_400, 1)], 0, 0, 10_000);
    assert.equal(m.maxGapMs, 3_000);
    assert.equal(m.medianIntervalMs, 200);
  });

  it('is empty, not wrong, when nothing was sampled in the window', () => {
    const m = memorySeries(all, 0, 0, 1);
    assert.equal(m.rawSamples, 0);
    assert.deepEqual(m.samples, []);
    assert.equal(m.maxRssMiB, 0);
  });

  it('sampleAt gives the last sample at or before a time', () => {
    assert.equal(sampleAt(all, 10_450)?.at, 10_400);
    assert.equal(sampleAt(all, 5), undefined);
  });
});

describe('memoryChartSvg', () => {
  it('draws four lines per panel, a legend and the reference line', () => {
    const m = memorySeries(Array.from({ length: 20 }, (_, i) => sample(i * 200, 120 + i)), 0, 0, 10_000);
    const svg = memoryChartSvg([{ title: 'A & B', series: m, reference: { y: 140, label: 'target 140 MiB' } }, { title: 'C', series: m }], 'caption <x>');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 8);
    assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 1);
    for (const label of ['RSS', 'heap used', 'external', 'array buffers']) assert.ok(svg.includes(`>${label}</text>`), label);
    assert.ok(svg.includes('A &amp; B') && svg.includes('caption &lt;x&gt;'), 'text is escaped');
    assert.ok(!/NaN|Infinity/.test(svg));
  });

  it('draws an empty series without NaN', () => {
    const svg = memoryChartSvg([{ title: 'empty', series: memorySeries([], 0, 0, 1) }], 'c');
    assert.ok(!/NaN|Infinity/.test(svg));
  });
});

describe('compactJson', () => {
  it('puts arrays of numbers on one line and reads back the same', () => {
    const v = { samples: [[0.2, 130.5, 31.25, 2, 1e-7]], list: [1, -2, 3], names: ['a', 'b'], nested: { x: [] as number[] } };
    const text = compactJson(v);
    assert.ok(text.includes('[0.2, 130.5, 31.25, 2, 1e-7]'), text);
    assert.ok(text.includes('"list": [1, -2, 3]'), text);
    assert.deepEqual(JSON.parse(text), v);
  });
});

describe('the baseline cases', () => {
  it('runs each (policies, instances) once and gives every instance a policy', () => {
    assert.deepEqual(baselineCases({ policies: [0, 10, 100], instances: [1, 10, 50], policiesAcrossInstances: 10, resyncs: 10, resyncSeconds: 1 }), [
      { policies: 0, instances: 1 },
      { policies: 10, instances: 1 },
      { policies: 100, instances: 1 },
      { policies: 10, instances: 10 },
      { policies: 50, instances: 50 },
    ]);
  });

  it('counts the cost of each further instance from the one-instance case', () => {
    const c = (policies: number, instances: number, rss: number): BaselineCase =>
      ({ policies, instances, rssAfterResyncsMiB: rss }) as BaselineCase;
    const b: BaselineResult = { resyncSeconds: 1, policiesAcrossInstances: 10, cases: [c(0, 1, 120), c(10, 1, 140), c(10, 10, 230), c(50, 50, 630)] };
    assert.deepEqual(perInstanceMiB(b), [
      { instances: 10, policies: 10, miB: 10 },
      { instances: 50, policies: 50, miB: 10 },
    ]);
    assert.deepEqual(perInstanceMiB({ ...b, cases: b.cases.filter((x) => x.instances > 1) }), [], 'no one-instance case: nothing to count from');
  });
});
