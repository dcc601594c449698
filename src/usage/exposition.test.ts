import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpositionError, selectSamples } from './exposition.ts';

const NAMES = new Set(['milvus_proxy_req_count']);

describe('selectSamples', () => {
  it('reads labels (escapes, commas and braces inside values) and values of the named metrics only', () => {
    const text = [
      '# HELP milvus_proxy_req_count count of operation executed',
      '# TYPE milvus_proxy_req_count counter',
      'milvus_proxy_req_count{collection_name="a,b}\\"c",db_name="",function_name="Search",node_id="1",status="fail"} 3',
      'milvus_proxy_req_count_other{collection_name="x"} 9',
      'milvus_proxy_sq_latency_bucket{le="+Inf"} not-parsed',
      'milvus_proxy_req_count{function_name="Query", status="total",} 1e3 1712345678000\r',
      'milvus_proxy_req_count 4',
    ].join('\n');
    const s = selectSamples(text, NAMES, 10);
    assert.equal(s.length, 3);
    assert.equal(s[0]?.labels.get('collection_name'), 'a,b}"c');
    assert.equal(s[0]?.labels.get('db_name'), '');
    assert.equal(s[0]?.value, 3);
    assert.equal(s[1]?.labels.get('status'), 'total');
    assert.equal(s[1]?.value, 1000);
    assert.equal(s[2]?.labels.size, 0);
  });

  it('throws on a malformed line of a named metric, and past the sample cap', () => {
    assert.throws(() => selectSamples('milvus_proxy_req_count{a="1" 2', NAMES, 10), ExpositionError);
    assert.throws(() => selectSamples('milvus_proxy_req_count{a="1"} x', NAMES, 10), ExpositionError);
    assert.throws(() => selectSamples('milvus_proxy_req_count 1\nmilvus_proxy_req_count 2', NAMES, 1), /more than 1/);
  });

  it('runs in linear time on a hostile label value', () => {
    const hostile = `milvus_proxy_req_count{a="${'\\'.repeat(50_001)}} 1`;
    assert.throws(() => selectSamples(hostile, NAMES, 10), ExpositionError);
  });
});
