import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRun, type AllowedSkips, type RunRecord } from './check.ts';

const allowed: AllowedSkips = {
  tiers: {
    lite: { files: ['test/lite.test.ts'] },
    standalone: { files: ['test/standalone.test.ts'], off: 'MLO_MILVUS_STANDALONE=0' },
  },
  skips: [
    { file: 'test/lite.test.ts', test: 'contract > partitions', reason: 'no partition loads' },
    { file: 'test/standalone.test.ts', test: 'standalone contract', reason: 'MLO_MILVUS_STANDALONE=0', tier: 'standalone' },
  ],
};

function run(over: Partial<RunRecord> = {}): RunRecord {
  return {
    skips: [{ file: 'test/lite.test.ts', test: 'partitions', path: 'contract > partitions', message: 'Milvus Lite has no partition loads (UNIMPLEMENTED)' }],
    passedPerFile: new Map([
      ['test/lite.test.ts', 5],
      ['test/standalone.test.ts', 9],
    ]),
    filesSeen: new Set(['test/lite.test.ts', 'test/standalone.test.ts']),
    ...over,
  };
}

const standaloneOff = (): RunRecord =>
  run({
    skips: [...run().skips, { file: 'test/standalone.test.ts', test: 'standalone contract', path: 'standalone contract', message: 'MLO_MILVUS_STANDALONE=0 turns the Milvus standalone tier off' }],
    passedPerFile: new Map([['test/lite.test.ts', 5]]),
  });

describe('declared skips', () => {
  it('passes a run whose skips are all declared', () => {
    const v = checkRun(allowed, run(), {});
    assert.equal(v.ok, true, v.report);
    assert.match(v.report, /1 skipped, 1 of them declared/);
  });

  it('fails on a skip that is not declared, or declared with another reason', () => {
    const other = run({ skips: [{ file: 'test/lite.test.ts', test: 'partitions', path: 'contract > partitions', message: 'Milvus Lite could not be installed' }] });
    const v = checkRun(allowed, other, {});
    assert.equal(v.ok, false);
    assert.match(v.report, /undeclared skip: test\/lite\.test\.ts: "contract > partitions"/);
  });

  it('fails when a tier file ran but passed nothing (a failed install turning it into skips)', () => {
    const v = checkRun(allowed, run({ passedPerFile: new Map([['test/standalone.test.ts', 9]]) }), {});
    assert.equal(v.ok, false);
    assert.match(v.report, /tier lite: test\/lite\.test\.ts ran but passed no test/);
  });

  it('fails a full run when a tier file did not run at all; a partial run only checks what ran', () => {
    const partial = run({ filesSeen: new Set(['test/lite.test.ts']) });
    assert.equal(checkRun(allowed, partial, {}).ok, true);
    const v = checkRun(allowed, partial, { MLO_SKIP_CHECK: 'full' });
    assert.equal(v.ok, false);
    assert.match(v.report, /tier standalone: test\/standalone\.test\.ts did not run/);
  });

  it('a tier turned off on purpose is reported, not failed, outside CI', () => {
    const v = checkRun(allowed, standaloneOff(), { MLO_MILVUS_STANDALONE: '0' });
    assert.equal(v.ok, true, v.report);
    assert.match(v.report, /note: tier standalone turned off by MLO_MILVUS_STANDALONE=0/);
  });

  it('a tier-off skip is undeclared when the switch is not set (the tier vanished for another reason)', () => {
    const v = checkRun(allowed, standaloneOff(), {});
    assert.equal(v.ok, false);
    assert.match(v.report, /undeclared skip: test\/standalone\.test\.ts/);
  });

  it('with CI=true every tier must run', () => {
    const v = checkRun(allowed, standaloneOff(), { MLO_MILVUS_STANDALONE: '0', CI: 'true' });
    assert.equal(v.ok, false);
    assert.match(v.report, /tier standalone is turned off .* with CI=true every tier must run/);
  });

  it('notes a declared skip that no longer happens', () => {
    const v = checkRun(allowed, run({ skips: [] }), {});
    assert.equal(v.ok, true);
    assert.match(v.report, /declared skip did not happen .* "contract > partitions"/);
  });
});
