import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../kube/clock.ts';
import { WorkQueue, type Outcome } from './queue.ts';

/** A manual clock: timers fire only when the test advances time. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers: { at: number; f: () => void; dead: boolean }[] = [];
  return {
    now: () => now,
    setTimeout(f, ms) {
      const t = { at: now + ms, f, dead: false };
      timers.push(t);
      return { cancel: () => void (t.dead = true) };
    },
    advance(ms) {
      now += ms;
      for (const t of timers.filter((x) => !x.dead && x.at <= now).sort((a, b) => a.at - b.at)) {
        t.dead = true;
        t.f();
      }
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('deduplicates keys and never runs one key twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (k) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        seen.push(k);
        await gate;
        running--;
        return { ok: true };
      },
      { concurrency: 4, clock: manualClock() },
    );
    q.add('a');
    q.add('a');
    await tick();
    q.add('a'); // while running: marked dirty, runs once more afterwards
    q.add('a');
    release();
    await q.whenIdle();
    await tick();
    await q.whenIdle();
    assert.deepEqual(seen, ['a', 'a']);
    assert.equal(maxRunning, 1);
  });

  it('bounds concurrency across keys', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        running--;
        return { ok: true };
      },
      { concurrency: 2, clock: manualClock() },
    );
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await q.whenIdle();
    assert.equal(maxRunning, 2);
    assert.equal(q.stats.processed, 5);
  });

  it('retries failures with per-key exponential backoff up to a cap, and forgets it on success', async () => {
    const clock = manualClock();
    const outcomes: Outcome[] = [{ ok: false, retry: true }, { ok: false, retry: true }, { ok: false, retry: true }, { ok: true }];
    let calls = 0;
    const q = new WorkQueue(async () => outcomes[calls++] ?? { ok: true }, { concurrency: 1, baseBackoffMs: 100, maxBackoffMs: 250, clock });
    q.add('k');
    await q.whenIdle();
    assert.equal(calls, 1);
    assert.equal(q.backoffFor('k'), 100);
    clock.advance(99);
    await q.whenIdle();
    assert.equal(calls, 1, 'not before the backoff');
    clock.advance(1);
    await q.whenIdle();
    assert.equal(calls, 2);
    assert.equal(q.backoffFor('k'), 200);
    clock.advance(200);
    await q.whenIdle();
    assert.equal(calls, 3);
    assert.equal(q.backoffFor('k'), 250, 'capped');
    clock.advance(250);
    await q.whenIdle();
    assert.equal(calls, 4);
    assert.equal(q.backoffFor('k'), 100, 'success forgets the failures');
  });

  it('does not retry a terminal failure', async () => {
    const clock = manualClock();
    let calls = 0;
    const q = new WorkQueue(async () => (calls++, { ok: false, retry: false }), { concurrency: 1, clock });
    q.add('k');
    await q.whenIdle();
    clock.advance(1e9);
    await q.whenIdle();
    assert.equal(calls, 1);
  });

  it('requeues after a delay, keeping the earliest pending one', async () => {
    const clock = manualClock();
    let calls = 0;
    const q = new WorkQueue(async () => (calls++, { ok: true }), { concurrency: 1, clock });
    q.addAfter('k', 1000);
    q.addAfter('k', 500);
    q.addAfter('k', 2000);
    clock.advance(500);
    await q.whenIdle();
    assert.equal(calls, 1);
    clock.advance(5000);
    await q.whenIdle();
    assert.equal(calls, 1, 'the later delayed adds were folded into the earlier one');
  });

  it('coalesces a burst of 1,000 adds into a bounded number of runs', async () => {
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        await tick();
        return { ok: true };
      },
      { concurrency: 1, clock: manualClock() },
    );
    for (let i = 0; i < 1000; i++) {
      q.add('k');
      if (i % 100 === 0) await tick();
    }
    await q.whenIdle();
    await tick();
    await q.whenIdle();
    assert.ok(calls <= 22, `${calls} runs for 1,000 adds`);
  });

  it('holds work while paused (caches not yet synced) and runs it on resume', async () => {
    let calls = 0;
    const q = new WorkQueue(async () => (calls++, { ok: true }), { concurrency: 1, clock: manualClock() });
    q.pause();
    q.add('a');
    q.add('b');
    await tick();
    assert.equal(calls, 0);
    q.resume();
    await q.whenIdle();
    assert.equal(calls, 2);
  });

  it('stops taking work on shutdown', async () => {
    let calls = 0;
    const q = new WorkQueue(async () => (calls++, { ok: true }), { concurrency: 1, clock: manualClock() });
    await q.shutdown(100);
    q.add('k');
    await tick();
    assert.equal(calls, 0);
  });
});
