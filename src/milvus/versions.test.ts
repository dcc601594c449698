import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { supportsLoadPriority } from './versions.ts';

describe('supportsLoadPriority', () => {
  it('from 2.6 on, as Milvus reads load_params.load_priority', () => {
    for (const v of ['v2.6.0', '2.6.3', 'v2.7.0-gpu', '3.0.0', 'v2.10.1']) assert.equal(supportsLoadPriority(v), true, v);
    for (const v of ['v2.3.5', '2.5.12', 'v2.4.23', '', 'unknown', 'v1.9']) assert.equal(supportsLoadPriority(v), false, v);
  });
});
