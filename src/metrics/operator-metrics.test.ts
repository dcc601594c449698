import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { parseExposition, type Exposition } from '../../test/env/prom.ts';
import { createOperatorMetrics, type OperatorMetrics } from './operator-metrics.ts';
import { exposition } from './server.ts';

// The families and label sets the dashboard, the alerts and docs/operations.md
// rely on; a rename here is a breaking change for every user's Prometheus.
const FAMILIES: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  reconcile_total: ['counter', ['milvus', 'result']],
  reconcile_errors_total: ['counter', ['milvus', 'reason']],
  reconcile_duration_seconds: ['histogram', ['milvus']],
  queue_depth: ['gauge', []],
  queue_retries_total: ['counter', []],
  milvus_requests_total: ['counter', ['method', 'outcome']],
  milvus_request_duration_seconds: ['histogram', ['method']],
  milvus_actions_total: ['counter', ['action', 'reason']],
  status_writes_total: ['counter', []],
  collections: ['gauge', ['milvus', 'state']],
  policies: ['gauge', ['milvus', 'ready']],
  budget_used_bytes: ['gauge', ['budget']],
  budget_limit_bytes: ['gauge', ['budget']],
  leader: ['gauge', []],
  watch_restarts_total: ['counter', ['resource']],
  build_info: ['gauge', ['version']],
};

function exercise(m: OperatorMetrics): void {
  m.reconcileTotal.inc({ milvus: 'm:19530', result: 'ok' });
  m.reconcileErrors.inc({ milvus: 'm:19530', reason: 'MilvusUnavailable' });
  m.reconcileDuration.observe({ milvus: 'm:19530' }, 0.3);
  m.queueRetries.inc();
  m.milvusRequests.inc({ method: 'load', outcome: 'ok' });
  m.milvusRequestDuration.observe({ method: 'load' }, 0.02);
  m.milvusActions.inc({ action: 'load', reason: 'Declared' });
  m.statusWrites.inc(2);
  m.collections.set({ milvus: 'm:19530', state: 'Loaded' }, 3);
  m.policies.set({ milvus: 'm:19530', ready: 'true' }, 1);
  m.budgetUsed.set({ budget: 'prod' }, 10);
  m.budgetLimit.set({ budget: 'prod' }, 20);
  m.watchRestarts.inc({ resource: 'collectionloadpolicies' });
}

async function scrape(m: OperatorMetrics): Promise<Exposition> {
  return parseExposition(await exposition(m.registry));
}

describe('operator metrics', () => {
  it('keeps every family’s name, type and labels, in an exposition a strict parser accepts', async () => {
    const m = createOperatorMetrics('1.2.3');
    exercise(m);
    const e = await scrape(m);
    for (const [family, [type, labels]] of Object.entries(FAMILIES)) {
      const name = `milvus_load_operator_${family}`;
      assert.equal(e.types.get(name), type, name);
      const sample = e.samples.find((s) => s.name === name || s.name === `${name}_count`);
      assert.ok(sample, `${name} has a sample`);
      assert.deepEqual(Object.keys(sample.labels).sort(), [...labels].sort(), `${name} labels`);
    }
    assert.equal(e.value('milvus_load_operator_build_info', { version: '1.2.3' }), 1);
    assert.equal(e.value('milvus_load_operator_leader'), 0);
    assert.equal(e.value('milvus_load_operator_status_writes_total'), 2);
    assert.equal(e.value('milvus_load_operator_reconcile_duration_seconds_bucket', { milvus: 'm:19530', le: '0.25' }), 0);
    assert.equal(e.value('milvus_load_operator_reconcile_duration_seconds_bucket', { milvus: 'm:19530', le: '0.5' }), 1);
    assert.equal(e.value('milvus_load_operator_reconcile_duration_seconds_bucket', { milvus: 'm:19530', le: '60' }), 1, 'our buckets reach 60 s');
    assert.equal(e.value('milvus_load_operator_reconcile_duration_seconds_bucket', { milvus: 'm:19530', le: '+Inf' }), 1);
  });

  it('escapes label values so they read back unchanged', async () => {
    const m = createOperatorMetrics('x');
    const odd = 'a "quoted"\\ value\nsecond line';
    m.reconcileErrors.inc({ milvus: 'm:1', reason: odd }, 3);
    assert.equal((await scrape(m)).value('milvus_load_operator_reconcile_errors_total', { reason: odd }), 3);
  });

  it('reads the queue depth at every scrape', async () => {
    const m = createOperatorMetrics('x');
    let depth = 4;
    m.readQueueDepth(() => depth);
    assert.equal((await scrape(m)).value('milvus_load_operator_queue_depth'), 4);
    depth = 0;
    assert.equal((await scrape(m)).value('milvus_load_operator_queue_depth'), 0);
  });

  it('exports prom-client’s process and Node collectors, and the heap under our old name too', async () => {
    const e = await scrape(createOperatorMetrics('x'));
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      assert.ok(e.types.has(name), name);
    }
    assert.ok(e.value('process_resident_memory_bytes') > 0);
    assert.ok(e.value('nodejs_heap_used_bytes') > 0);
    assert.ok(e.has('nodejs_heap_space_size_used_bytes', { space: 'old' }));
  });

  it('keeps to its own registry, so two in one process do not collide', async () => {
    const a = createOperatorMetrics('a');
    const b = createOperatorMetrics('b');
    a.leader.set(1);
    assert.equal((await scrape(a)).value('milvus_load_operator_leader'), 1);
    assert.equal((await scrape(b)).value('milvus_load_operator_leader'), 0);
    assert.deepEqual(globalRegistry.getMetricsAsArray(), [], 'nothing lands in prom-client’s global registry');
  });
});
