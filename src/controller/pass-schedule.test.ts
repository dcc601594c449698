import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassSchedule } from './pass-schedule.ts';

const I = 'milvus:19530';

describe('PassSchedule', () => {
  it('the first pass of an instance is whole, and policy events before it are part of it', () => {
    const s = new PassSchedule();
    s.touch(I, 'a');
    assert.deepEqual(s.take(I, 0), { kind: 'whole' });
    assert.equal(s.takeTouched(I).size, 0);
  });

  it('between whole passes, a policy change is a pass over its databases; with none, nothing until the whole one is due', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    assert.deepEqual(s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 1_000), { ok: true, requeueAfterMs: 30_000 });
    assert.deepEqual(s.take(I, 2_000), { kind: 'nothing', dueInMs: 29_000 });
    s.touch(I, 'a');
    s.touch(I, 'b');
    s.touch(I, 'a');
    assert.deepEqual(s.take(I, 3_000), { kind: 'cells', databases: new Set(['a', 'b']) });
    // A partial pass does not move the whole one, and the queue comes back for it.
    assert.deepEqual(s.passed(I, 'cells', { ok: true, requeueAfterMs: 30_000 }, 3_050), { ok: true, requeueAfterMs: 27_950 });
    assert.deepEqual(s.take(I, 31_000), { kind: 'whole' });
  });

  it('a partial pass that wants an early look (a load in flight) brings the whole pass forward', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 0);
    s.touch(I, 'a');
    s.take(I, 1_000);
    assert.deepEqual(s.passed(I, 'cells', { ok: true, requeueAfterMs: 2_000 }, 1_000), { ok: true, requeueAfterMs: 2_000 });
    assert.deepEqual(s.take(I, 3_000), { kind: 'whole' });
  });

  it('a failed pass, a budget change or a lost key makes the next pass whole', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 0);
    s.touch(I, 'a');
    s.take(I, 1_000);
    assert.deepEqual(s.passed(I, 'cells', { ok: false, retry: true }, 1_000), { ok: false, retry: true });
    assert.deepEqual(s.take(I, 1_500), { kind: 'whole' });
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 2_000);
    s.wholeNow(I);
    assert.deepEqual(s.take(I, 2_500), { kind: 'whole' });
  });

  it('a budget change during a partial pass sends the queue straight back for a whole one', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 0);
    s.touch(I, 'a');
    s.take(I, 1_000);
    s.wholeNow(I);
    assert.deepEqual(s.passed(I, 'cells', { ok: true, requeueAfterMs: 30_000 }, 1_100), { ok: true, requeueAfterMs: 0 });
  });

  it('a clock that went back does not postpone the whole pass', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 10 * 3_600_000);
    assert.deepEqual(s.take(I, 3_600_000), { kind: 'whole' });
  });

  it('instances are independent', () => {
    const s = new PassSchedule();
    s.take(I, 0);
    s.passed(I, 'whole', { ok: true, requeueAfterMs: 30_000 }, 0);
    s.touch('other:19530', 'a');
    assert.deepEqual(s.take(I, 1_000), { kind: 'nothing', dueInMs: 29_000 });
    assert.deepEqual(s.take('other:19530', 1_000), { kind: 'whole' });
  });
});
