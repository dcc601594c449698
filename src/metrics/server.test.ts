import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { parseExposition } from '../../test/env/prom.ts';
import { exposition, parseBindAddress, serveEndpoints } from './server.ts';

describe('health and metrics endpoints', () => {
  it('parses bind addresses and refuses nonsense with advice', () => {
    assert.deepEqual(parseBindAddress(':8080'), { host: undefined, port: 8080 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseBindAddress('[::1]:9'), { host: '::1', port: 9 });
    assert.equal(parseBindAddress('0'), undefined);
    assert.throws(() => parseBindAddress('8080'), /host:port or :port/);
    assert.throws(() => parseBindAddress(':99999'), /host:port/);
  });

  it('serves /healthz, /readyz (with the reason) and /metrics on separate ports', async () => {
    const registry = new Registry();
    new Counter({ name: 'hits_total', help: 'x', registers: [registry] }).inc();
    let ready = { ready: false, reason: 'caches not synced yet' };
    const ep = await serveEndpoints({ healthAddress: '127.0.0.1:0', metricsAddress: '127.0.0.1:0', registry, readiness: () => ready });
    try {
      assert.ok(ep.health && ep.metrics && ep.health !== ep.metrics);
      const get = async (addr: string, path: string) => {
        const r = await fetch(`http://${addr}${path}`);
        return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
      };
      assert.equal((await get(ep.health, '/healthz')).status, 200);
      const notReady = await get(ep.health, '/readyz');
      assert.equal(notReady.status, 503);
      assert.match(notReady.body, /caches not synced yet/);
      ready = { ready: true, reason: '' };
      assert.equal((await get(ep.health, '/readyz')).status, 200);
      const m = await get(ep.metrics, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.type ?? '', /text\/plain; version=0\.0\.4/);
      assert.match(m.body, /^hits_total 1$/m);
      assert.equal((await get(ep.health, '/metrics')).status, 404);
      assert.equal((await get(ep.metrics, '/nope')).status, 404);
    } finally {
      await ep.close();
    }
  });

  it('spells NaN the way the text format does, and answers 500 with advice when collecting fails', async () => {
    const registry = new Registry();
    new Gauge({ name: 'ratio', help: 'x', registers: [registry] }).set(NaN);
    assert.match(await exposition(registry), /^ratio NaN$/m);
    assert.ok(Number.isNaN(parseExposition(await exposition(registry)).value('ratio')));
    new Gauge({
      name: 'broken',
      help: 'x',
      registers: [registry],
      collect() {
        throw new Error('cannot read /proc');
      },
    });
    const ep = await serveEndpoints({ healthAddress: '0', metricsAddress: '127.0.0.1:0', registry, readiness: () => ({ ready: true, reason: '' }) });
    try {
      const r = await fetch(`http://${ep.metrics}/metrics`);
      assert.equal(r.status, 500);
      assert.match(await r.text(), /cannot collect the metrics: cannot read \/proc; the operator itself keeps working/);
    } finally {
      await ep.close();
    }
  });

  it('says which flag to change when the port is taken', async () => {
    const a = await serveEndpoints({ healthAddress: '127.0.0.1:0', metricsAddress: '0', registry: new Registry(), readiness: () => ({ ready: true, reason: '' }) });
    try {
      await assert.rejects(
        serveEndpoints({ healthAddress: a.health ?? '', metricsAddress: '0', registry: new Registry(), readiness: () => ({ ready: true, reason: '' }) }),
        /cannot listen.*--health-probe-bind-address/,
      );
    } finally {
      await a.close();
    }
  });
});
