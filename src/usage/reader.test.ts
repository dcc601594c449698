import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MilvusMetricsReader } from './milvus-metrics.ts';
import { PrometheusReader } from './prometheus.ts';
import { createUsageReader } from './reader.ts';

describe('createUsageReader', () => {
  it('builds the reader of the configured source', () => {
    assert.ok(createUsageReader({ kind: 'MilvusMetrics', endpoints: ['http://proxy:9091/metrics'] }, { periodSeconds: 60 }) instanceof MilvusMetricsReader);
    assert.ok(createUsageReader({ kind: 'Prometheus', url: 'http://prometheus:9090', query: 'up' }, { periodSeconds: 60 }) instanceof PrometheusReader);
  });

  it('refuses a MilvusMetrics source without endpoints, saying what to list', () => {
    assert.throws(() => createUsageReader({ kind: 'MilvusMetrics', endpoints: [] }, { periodSeconds: 60 }), /list at least one proxy metrics endpoint/);
  });
});
