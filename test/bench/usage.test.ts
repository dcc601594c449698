// The pure parts of the bench's usage scenario (bench/usage.ts): the objects it
// creates pass the operator's own validation, and its counts follow from what
// it recorded. The scenario itself runs in harness.test.ts and `npm run bench`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeLayout, policyManifest } from '../../bench/layout.ts';
import { usageMet } from '../../bench/report-usage.ts';
import { scrapeFigures, USAGE_IDLE, usageBudgetManifest, usageShown, type UsageResult } from '../../bench/usage.ts';
import { validateBudget, validatePolicy } from '../../src/api/resources.ts';

describe('bench usage scenario (pure parts)', () => {
  it('writes policies with spec.idle and a budget with a proxy /metrics source that validate', () => {
    const layout = makeLayout({ policies: 20, perDatabase: 100, idle: USAGE_IDLE });
    for (const p of layout.policies) {
      const v = validatePolicy(policyManifest(p, 'http://127.0.0.1:19530'));
      assert.ok(v.ok, `${p.name} (${p.state}): ${JSON.stringify(v.errors)}`);
      assert.equal(v.object.spec.idle?.releaseAfter, USAGE_IDLE.releaseAfter);
      assert.equal(v.object.spec.idle.overrideLoaded, true);
    }
    const plain = makeLayout({ policies: 2 });
    assert.equal((policyManifest(plain.policies[0]!, 'http://127.0.0.1:19530').spec as Record<string, unknown>).idle, undefined, 'other scenarios keep their policies as they were');
    const b = validateBudget(usageBudgetManifest('http://127.0.0.1:19530', ['http://127.0.0.1:9091/metrics', 'http://127.0.0.1:9092/metrics'], 10));
    assert.ok(b.ok, JSON.stringify(b.ok ? [] : b.errors));
    assert.deepEqual(b.object.spec.usage?.milvusMetrics?.endpoints.length, 2);
  });

  it('counts scrapes inside the window only, per endpoint and per period', () => {
    const gets = [
      { at: 999, proxy: 0 },
      { at: 1000, proxy: 0 },
      { at: 1001, proxy: 1 },
      { at: 11_000, proxy: 0 },
      { at: 11_002, proxy: 1 },
      { at: 21_000, proxy: 0 },
    ];
    const f = scrapeFigures(gets, 2, { from: 1000, to: 21_000 }, { resyncMs: 5000, periodMs: 10_000 });
    assert.deepEqual(f.perEndpoint, [2, 2]);
    assert.equal(f.total, 4);
    assert.equal(f.perEndpointPerPeriod, 1);
    assert.equal(f.perResync, 1);
  });

  it('reads lastUsedTime and usage-unknown reasons from policy statuses', () => {
    const shown = usageShown([
      { collections: [{ lastUsedTime: '2026-12-02T10:00:00Z' }, { usageUnknownReason: 'UsageNotRead' }, {}] },
      undefined,
      { collections: [{ usageUnknownReason: 'UsageNotRead' }] },
    ]);
    assert.deepEqual(shown, { withLastUsed: 1, unknown: { UsageNotRead: 2 } });
  });

  it('judges the cost target from the figures: a scrape per endpoint per period, no writes, usage shown', () => {
    const u = {
      proxies: 2,
      usagePeriodSeconds: 10,
      collections: 100,
      collectionsWithLastUsed: 100,
      steady: { windowSeconds: 60, statusWrites: 0 },
      scrapes: { total: 12 },
    } as unknown as UsageResult;
    assert.equal(usageMet(u), true);
    assert.equal(usageMet({ ...u, scrapes: { ...u.scrapes, total: 24 } }), false, 'a scrape per pass would be twice as many');
    assert.equal(usageMet({ ...u, steady: { ...u.steady, statusWrites: 3 } }), false);
    assert.equal(usageMet({ ...u, collectionsWithLastUsed: 0 }), false, 'no usage seen is not a cheap success');
  });
});
