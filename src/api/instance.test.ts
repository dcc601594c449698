import assert from 'node:assert/strict';
import { it } from 'node:test';
import { instanceKey } from './instance.ts';

it('normalizes scheme, default port and cluster DNS suffixes', () => {
  const same = [
    'http://milvus.milvus.svc:19530',
    'https://milvus.milvus.svc.cluster.local',
    'http://Milvus.milvus:19530/',
    'https://milvus.milvus.svc.cluster.local:19530',
  ];
  for (const u of same) assert.equal(instanceKey(u), 'milvus.milvus:19530', u);
  assert.equal(instanceKey('http://127.0.0.1:4000'), '127.0.0.1:4000');
  assert.equal(instanceKey('http://[::1]:4000'), '[::1]:4000');
  assert.notEqual(instanceKey('http://milvus.a:19530'), instanceKey('http://milvus.b:19530'));
  assert.equal(instanceKey('not a uri'), undefined);
});

it('keeps a port that URL hides because it is the scheme\'s default', () => {
  assert.equal(instanceKey('http://milvus:80'), 'milvus:80');
  assert.equal(instanceKey('https://milvus:443/'), 'milvus:443');
  assert.equal(instanceKey('http://[::1]:80'), '[::1]:80');
  assert.equal(instanceKey('http://[::1]'), '[::1]:19530');
  assert.equal(instanceKey('https://milvus'), 'milvus:19530');
});
