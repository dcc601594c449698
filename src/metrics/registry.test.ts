import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from '../../test/env/prom.ts';
import { createOperatorMetrics } from './operator-metrics.ts';
import { Registry } from './registry.ts';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms that a strict parser accepts', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.\nSecond line', ['kind']);
    const g = r.gauge('x_depth', 'Depth.');
    const h = r.histogram('x_seconds', 'Time.', ['m'], [0.1, 1]);
    c.inc({ kind: 'a "quoted"\\ value' });
    c.inc({ kind: 'a "quoted"\\ value' }, 2);
    c.inc({ kind: 'b' });
    g.set(undefined, 7);
    h.observe({ m: 'load' }, 0.05);
    h.observe({ m: 'load' }, 0.5);
    h.observe({ m: 'load' }, 5);
    const e = parseExposition(r.render());
    assert.equal(e.value('x_total', { kind: 'a "quoted"\\ value' }), 3);
    assert.equal(e.value('x_total'), 4);
    assert.equal(e.value('x_depth'), 7);
    assert.equal(e.value('x_seconds_bucket', { m: 'load', le: '0.1' }), 1);
    assert.equal(e.value('x_seconds_bucket', { m: 'load', le: '1' }), 2);
    assert.equal(e.value('x_seconds_bucket', { m: 'load', le: '+Inf' }), 3);
    assert.equal(e.value('x_seconds_count', { m: 'load' }), 3);
    assert.ok(Math.abs(e.value('x_seconds_sum', { m: 'load' }) - 5.55) < 1e-9);
    assert.equal(e.types.get('x_seconds'), 'histogram');
  });

  it('refuses a counter going down, bad names and double registration', () => {
    const r = new Registry();
    assert.throws(() => r.counter('bad-name', 'x'), /invalid metric name/);
    const c = r.counter('ok_total', 'x');
    assert.throws(() => c.inc(undefined, -1), /cannot decrease/);
    assert.throws(() => r.gauge('ok_total', 'x'), /registered twice/);
  });

  it('clears one instance’s gauge series without touching others', () => {
    const r = new Registry();
    const g = r.gauge('c', 'x', ['instance', 'state']);
    g.set({ instance: 'a', state: 'Loaded' }, 1);
    g.set({ instance: 'a', state: 'Failed' }, 2);
    g.set({ instance: 'b', state: 'Loaded' }, 3);
    g.clear({ instance: 'a' });
    const e = parseExposition(r.render());
    assert.equal(e.has('c', { instance: 'a' }), false);
    assert.equal(e.value('c', { instance: 'b', state: 'Loaded' }), 3);
  });

  it('exports the operator’s metric families with process memory read at scrape time', () => {
    let rss = 100;
    const m = createOperatorMetrics('1.2.3', () => ({ rss, heapUsed: 5 }), 1700000000);
    const first = parseExposition(m.registry.render());
    rss = 200;
    const second = parseExposition(m.registry.render());
    assert.equal(first.value('process_resident_memory_bytes'), 100);
    assert.equal(second.value('process_resident_memory_bytes'), 200);
    assert.equal(second.value('milvus_load_operator_build_info', { version: '1.2.3' }), 1);
    assert.equal(second.value('milvus_load_operator_leader'), 0);
    for (const family of ['reconcile_total', 'milvus_requests_total', 'collections', 'budget_used_bytes', 'queue_depth', 'watch_restarts_total']) {
      assert.ok(second.types.has(`milvus_load_operator_${family}`), family);
    }
  });
});
