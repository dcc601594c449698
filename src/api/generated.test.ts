import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generatedFiles } from '../../scripts/generated-files.ts';

it('checked-in CRDs and docs/api.md match the schema definition (run `npm run generate` if not)', () => {
  for (const [rel, content] of generatedFiles()) {
    const current = readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
    assert.equal(current, content, `${rel} is stale: run npm run generate`);
  }
});
