import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesPerRow, VARIABLE_FIELD_BYTES } from './schema-size.ts';

describe('bytesPerRow (docs/budgets.md)', () => {
  it('counts fixed-size scalars by their width', () => {
    assert.equal(bytesPerRow(['Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'Float', 'Double', 'Timestamptz'].map((data_type) => ({ data_type }))), 1 + 1 + 2 + 4 + 8 + 4 + 8 + 8);
  });

  it('counts vectors by dimension, from `dim` or from type_params (as 2.3 sends it)', () => {
    assert.equal(bytesPerRow([{ data_type: 'FloatVector', dim: '128' }]), 512);
    assert.equal(bytesPerRow([{ data_type: 'FloatVector', type_params: [{ key: 'dim', value: '8' }] }]), 32);
    assert.equal(bytesPerRow([{ data_type: 'Float16Vector', dim: 8 }, { data_type: 'BFloat16Vector', dim: 8 }]), 32);
    assert.equal(bytesPerRow([{ data_type: 'Int8Vector', dim: 16 }]), 16);
    assert.equal(bytesPerRow([{ data_type: 'BinaryVector', dim: 12 }]), 2);
  });

  it('counts VarChar at half its max_length (512 when unknown), and JSON, arrays and unknown types at a fixed size', () => {
    assert.equal(bytesPerRow([{ data_type: 'VarChar', max_length: 200 }]), 100);
    assert.equal(bytesPerRow([{ data_type: 'VarChar', type_params: [{ key: 'max_length', value: '64' }] }]), 32);
    assert.equal(bytesPerRow([{ data_type: 'String' }]), 256);
    assert.equal(bytesPerRow([{ data_type: 'JSON' }, { data_type: 'Array' }, { data_type: 42 }]), 3 * VARIABLE_FIELD_BYTES);
  });
});
