// The PromQL reader's answers from a real Prometheus are tested in
// test/integration/usage-prometheus.test.ts (no mock of its HTTP API); here,
// what needs no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_USAGE_QUERY, PrometheusReader } from './prometheus.ts';

describe('PrometheusReader', () => {
  it('refuses a period that is not a whole number of seconds', () => {
    assert.throws(() => new PrometheusReader('http://127.0.0.1:9090', { periodSeconds: 0 }), /periodSeconds/);
    assert.throws(() => new PrometheusReader('http://127.0.0.1:9090', { periodSeconds: 1.5 }), /periodSeconds/);
  });

  it('the default query keeps db_name and collection_name and has a {{period}} to fill', () => {
    assert.match(DEFAULT_USAGE_QUERY, /^\(sum by \(db_name, collection_name\)/);
    assert.ok(DEFAULT_USAGE_QUERY.includes('[{{period}}]'));
  });

  it('nothing listening: UsageUnavailable, naming the server without its credentials', async () => {
    const r = await new PrometheusReader('http://admin:pw123456@127.0.0.1:1/prom', { periodSeconds: 60 }).read();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'UsageUnavailable');
    assert.match(!r.ok ? r.message : '', /Prometheus at http:\/\/127\.0\.0\.1:1\/prom\/: GET .* failed/);
    assert.doesNotMatch(!r.ok ? r.message : '', /pw123456/);
  });
});
