// The reader against local HTTP servers that serve what a Milvus proxy's
// /metrics serves (label sets of recent Milvus and of 2.3.5, recorded in
// docs/usage.md).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listCollections } from './collection-set.ts';
import { MilvusMetricsReader } from './milvus-metrics.ts';
import type { UsageReading } from './types.ts';

interface Proxy {
  url: string;
  body: string;
  status: number;
  server: Server;
}

async function proxy(): Promise<Proxy> {
  const p: Proxy = { url: '', body: '', status: 200, server: createServer() };
  p.server.on('request', (req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: 'http://example.invalid/metrics' }).end();
      return;
    }
    res.writeHead(p.status, { 'content-type': 'text/plain' }).end(p.body);
  });
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
  const addr = p.server.address();
  p.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`;
  return p;
}

/** Recent Milvus: req_count per (db, collection). */
function recent(counts: Record<string, number>, extra = ''): string {
  const lines = ['# TYPE milvus_proxy_req_count counter'];
  for (const [key, n] of Object.entries(counts)) {
    const [db, coll, fn = 'Search', status = 'success'] = key.split('/');
    lines.push(`milvus_proxy_req_count{collection_name="${coll}",db_name="${db}",function_name="${fn}",node_id="1",status="${status}"} ${n}`);
  }
  return `${lines.join('\n')}\n${extra}`;
}

const used = (r: UsageReading): string[] => (r.ok ? listCollections(r.used).map((c) => `${c.database ?? '*'}/${c.collection}`) : [`!${r.reason}`]);

describe('MilvusMetricsReader', () => {
  let a: Proxy;
  let b: Proxy;
  before(async () => {
    a = await proxy();
    b = await proxy();
  });
  after(() => {
    a.server.close();
    b.server.close();
  });

  it('takes a baseline first, then reports the collections whose counters moved, summed over proxies', async () => {
    a.body = recent({ 'default/x': 5, 'default/y': 2, 'default/z/Insert': 7 });
    b.body = recent({ 'logs/x': 1 });
    const r = new MilvusMetricsReader([a.url, b.url]);
    const first = await r.read();
    assert.deepEqual(used(first), []);
    assert.ok(first.ok && first.since === undefined);
    assert.deepEqual(first.ok && listCollections(first.seen).map((c) => c.collection), ['x', 'y', 'x'], 'Insert is not a read');
    a.body = recent({ 'default/x': 5, 'default/y': 3, 'default/z/Insert': 9 });
    b.body = recent({ 'logs/x': 1, 'logs/w/Query/fail': 1 });
    const second = await r.read();
    assert.deepEqual(used(second), ['default/y', 'logs/w']);
    assert.ok(second.ok && second.since?.getTime() === (first.ok ? first.at.getTime() : -1));
  });

  it('a proxy restart (a lower counter) counts as use when above zero; a vanished series is no use', async () => {
    a.body = recent({ 'default/x': 50, 'default/y': 50, 'default/v': 3 });
    b.body = recent({});
    const r = new MilvusMetricsReader([a.url, b.url]);
    await r.read();
    a.body = recent({ 'default/x': 2, 'default/y': 0 });
    assert.deepEqual(used(await r.read()), ['default/x']);
  });

  it('reads 2.3.x, where only receive_bytes_count names the collection, without a database', async () => {
    const old = (search: number, insert: number): string =>
      [
        'milvus_proxy_req_count{function_name="Search",node_id="1",status="total"} 9',
        `milvus_proxy_receive_bytes_count{collection_name="c1",msg_type="search",node_id="1"} ${search}`,
        `milvus_proxy_receive_bytes_count{collection_name="c2",msg_type="insert",node_id="1"} ${insert}`,
      ].join('\n');
    a.body = old(151, 226);
    const r = new MilvusMetricsReader([a.url]);
    await r.read();
    a.body = old(302, 452);
    assert.deepEqual(used(await r.read()), ['*/c1']);
  });

  it('no collection label anywhere: UsageNotPerCollection', async () => {
    a.body = 'milvus_proxy_req_count{function_name="Search",node_id="1",status="success"} 1\n';
    const r = await new MilvusMetricsReader([a.url]).read();
    assert.deepEqual(used(r), ['!UsageNotPerCollection']);
    assert.match(r.ok ? '' : r.message, /no collection is released|nothing is released/);
  });

  it('one endpoint down, an HTTP error, a redirect, garbage or too much: no usable reading, and the baseline survives', async () => {
    a.body = recent({ 'default/x': 1 });
    b.body = recent({});
    const r = new MilvusMetricsReader([a.url, b.url], { maxSeries: 5 });
    await r.read();
    a.body = recent({ 'default/x': 2 });
    b.status = 503;
    assert.deepEqual(used(await r.read()), ['!UsageUnavailable']);
    b.status = 200;
    b.body = recent({ 'd/1': 1, 'd/2': 1, 'd/3': 1, 'd/4': 1, 'd/5': 1, 'd/6': 1 });
    assert.deepEqual(used(await r.read()), ['!UsageTooLarge']);
    b.body = 'milvus_proxy_req_count{oops 1\n';
    assert.deepEqual(used(await r.read()), ['!UsageUnavailable']);
    b.body = recent({});
    assert.deepEqual(used(await r.read()), ['default/x'], 'the request seen during the failures still counts');
    const moved = await new MilvusMetricsReader([a.url.replace('/metrics', '/moved')]).read();
    assert.deepEqual(used(moved), ['!UsageUnavailable']);
    assert.match(moved.ok ? '' : moved.message, /redirect \(HTTP 302\) which is not followed/);
    const closed = await new MilvusMetricsReader(['http://127.0.0.1:1/metrics']).read();
    assert.deepEqual(used(closed), ['!UsageUnavailable']);
    const big = await new MilvusMetricsReader([a.url], { maxBytes: 10 }).read();
    assert.deepEqual(used(big), ['!UsageTooLarge']);
  });

  it('two reads at once share one scrape, so the baseline is not consumed twice', async () => {
    a.status = 200;
    a.body = recent({ 'default/x': 1 });
    const r = new MilvusMetricsReader([a.url]);
    await r.read();
    a.body = recent({ 'default/x': 2 });
    const [one, two] = await Promise.all([r.read(), r.read()]);
    assert.deepEqual([used(one), used(two)], [['default/x'], ['default/x']]);
  });

  it('never prints userinfo of an endpoint URL', async () => {
    const r = await new MilvusMetricsReader(['http://user:s3cret@127.0.0.1:1/metrics?token=s3cret']).read();
    assert.ok(!r.ok);
    assert.doesNotMatch(r.message, /s3cret/);
  });
});
