import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { basePolicy, baseBudget, invalidCases } from '../../test/fixtures/invalid-manifests.ts';
import { validateBudget, validatePolicy } from './resources.ts';
import { formatFieldError } from './validate.ts';

const validate = (m: Record<string, unknown>) => (m.kind === 'CollectionLoadBudget' ? validateBudget(m) : validatePolicy(m));

describe('offline validation', () => {
  it('accepts the smallest policy and fills the defaults', () => {
    const r = validatePolicy(basePolicy());
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    if (!r.ok) return;
    const s = r.object.spec;
    assert.equal(s.state, 'Loaded');
    assert.equal(s.priority, 0);
    assert.equal(s.deletionPolicy, 'Retain');
    assert.equal(s.suspend, false);
    assert.equal(s.milvus.database, 'default');
    assert.equal(s.milvus.timeoutSeconds, 30);
    assert.equal(s.load, undefined, 'load is not invented when absent (it would break the Released rule)');
  });

  it('defaults inside objects that exist', () => {
    const r = validatePolicy(basePolicy({ load: {}, schedule: { windows: [{ start: '07:00', end: '08:00' }] } }));
    assert.ok(r.ok);
    assert.equal(r.object.spec.load?.replicas, 1);
    assert.equal(r.object.spec.load?.timeoutSeconds, 900);
    assert.equal(r.object.spec.schedule?.timeZone, 'UTC');
  });

  it('does not change its input', () => {
    const input = basePolicy();
    const before = JSON.stringify(input);
    validatePolicy(input);
    assert.equal(JSON.stringify(input), before);
  });

  it('accepts a budget and defaults preemption to Never', () => {
    const r = validateBudget(baseBudget());
    assert.ok(r.ok);
    assert.equal(r.object.spec.preemption, 'Never');
  });

  it('rejects a namespace on the cluster-scoped budget', () => {
    const r = validateBudget(baseBudget({}, { namespace: 'x' }));
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.path, 'metadata.namespace');
  });

  it('rejects a bad object name', () => {
    const r = validatePolicy(basePolicy({}, { name: 'Bad_Name' }));
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.path, 'metadata.name');
  });

  for (const c of invalidCases) {
    it(`rejects: ${c.name}`, () => {
      const r = validate(c.manifest);
      assert.equal(r.ok, false, `${c.name} was accepted`);
      const paths = r.errors.map((e) => e.path);
      assert.ok(paths.includes(c.path), `${c.name}: expected an error at ${c.path}, got ${r.errors.map(formatFieldError).join(' | ')}`);
      for (const e of r.errors) assert.ok(e.message.length > 10, 'every message says something');
    });
  }

  it('has at least 30 invalid cases', () => assert.ok(invalidCases.length >= 30));

  it('accepts every example manifest of ours', () => {
    const dir = new URL('../../examples/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 6);
    let ours = 0;
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(new URL(f, dir), 'utf8'))) {
        const m = doc.toJS() as Record<string, unknown>;
        if (m.apiVersion !== 'milvusload.io/v1alpha1') continue;
        ours++;
        const r = validate(m);
        assert.ok(r.ok, `${f} ${String((m.metadata as { name?: string }).name)}: ${r.errors.map(formatFieldError).join(' | ')}`);
      }
    }
    assert.ok(ours >= 8);
  });
});
