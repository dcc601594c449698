import assert from 'node:assert/strict';
import { it } from 'node:test';
import { maskUserinfo, printable, quoted, safeMessage } from './display.ts';

it('masks user information wherever a URI authority carries it', () => {
  const cases: [string, string][] = [
    ['http://root:SuperSecret123@milvus:19530', 'http://***@milvus:19530'],
    ['https://tok3n@milvus', 'https://***@milvus'],
    ['root:pw@milvus:19530', '***@milvus:19530'],
    ['uri "http://a:b@h" and "https://c:d@i"', 'uri "http://***@h" and "https://***@i"'],
    ['ops@example.com', 'ops@example.com'],
    ['http://milvus:19530', 'http://milvus:19530'],
  ];
  for (const [input, want] of cases) assert.equal(maskUserinfo(input), want, input);
});

it('escapes what a terminal would obey: C0, DEL, C1, line separators, bidi overrides', () => {
  assert.equal(quoted('a\u001b[31m\u009b2J\u2028\u202eb'), '"a\\u001b[31m\\u009b2J\\u2028\\u202eb"');
  assert.equal(printable('plain-name'), 'plain-name');
  assert.equal(printable('x\u0007'), '"x\\u0007"');
  assert.equal(safeMessage('Invalid value: "x\u009b": bad'), 'Invalid value: "x\\u009b": bad');
});
