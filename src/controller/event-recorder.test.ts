import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../kube/resources.ts';
import { createLogger } from '../log/logger.ts';
import { EventRecorder, type EventLoss } from './event-recorder.ts';

const event = (n: number): EventRecord => ({ target: { kind: 'CollectionLoadPolicy', namespace: 'ns', name: `p${n}` }, type: 'Normal', reason: 'Loaded', message: `event ${n}`, now: new Date(0) });

/** A write the test finishes by hand, one Event at a time. */
function heldWrites(): { write: (ev: EventRecord) => Promise<void>; started: string[]; finish: (ok?: boolean) => void; inFlight: () => number } {
  const open: { name: string; done: (ok: boolean) => void }[] = [];
  const started: string[] = [];
  return {
    started,
    write: (ev) =>
      new Promise<void>((resolve, reject) => {
        started.push(ev.target.name);
        open.push({ name: ev.target.name, done: (ok) => (ok ? resolve() : reject(new Error(`apiserver refused ${ev.target.name}`))) });
      }),
    finish: (ok = true) => open.shift()!.done(ok),
    inFlight: () => open.length,
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function recorder(o: { write: (ev: EventRecord) => Promise<void>; capacity?: number; concurrency?: number }): { rec: EventRecorder; lost: EventLoss[]; logs: string[] } {
  const lost: EventLoss[] = [];
  const logs: string[] = [];
  const rec = new EventRecorder({ ...o, log: createLogger('debug', {}, (l) => logs.push(l)), onLost: (why) => lost.push(why) });
  return { rec, lost, logs };
}

describe('EventRecorder', () => {
  it('returns from record at once, and writes in the order recorded, at most `concurrency` at a time', async () => {
    const w = heldWrites();
    const { rec } = recorder({ write: w.write, concurrency: 2 });
    for (let i = 0; i < 5; i++) rec.record(event(i));
    assert.equal(rec.pending, 5);
    assert.deepEqual(w.started, ['p0', 'p1'], 'two in flight, the rest waiting');
    w.finish();
    await tick();
    assert.deepEqual(w.started, ['p0', 'p1', 'p2']);
    assert.equal(w.inFlight(), 2);
    while (w.inFlight() > 0) {
      w.finish();
      await tick();
    }
    assert.deepEqual(w.started, ['p0', 'p1', 'p2', 'p3', 'p4']);
    assert.equal(rec.pending, 0);
  });

  it('drain resolves once everything recorded so far is written, not before', async () => {
    const w = heldWrites();
    const { rec } = recorder({ write: w.write, concurrency: 1 });
    await rec.drain(); // nothing queued: at once
    rec.record(event(0));
    rec.record(event(1));
    let drained = false;
    void rec.drain().then(() => (drained = true));
    w.finish();
    await tick();
    assert.equal(drained, false, 'one Event still to write');
    w.finish();
    await tick();
    assert.equal(drained, true);
  });

  it('a full queue drops further Events, counts each, warns once per overflow, and takes Events again once there is room', async () => {
    const w = heldWrites();
    const { rec, lost, logs } = recorder({ write: w.write, capacity: 3, concurrency: 1 });
    for (let i = 0; i < 10; i++) rec.record(event(i));
    // One in flight, three waiting: six dropped.
    assert.deepEqual(lost, Array(6).fill('dropped'));
    assert.equal(logs.filter((l) => l.includes('events dropped')).length, 1, logs.join('\n'));
    w.finish();
    await tick();
    rec.record(event(10));
    assert.equal(lost.length, 6, 'room again: queued, not dropped');
    assert.ok(logs.some((l) => l.includes('events queued again after an overflow') && l.includes('"dropped":6')), logs.join('\n'));
    while (w.inFlight() > 0) {
      w.finish();
      await tick();
    }
    assert.deepEqual(w.started, ['p0', 'p1', 'p2', 'p3', 'p10']);
  });

  it('a write that fails is logged and counted; the Events after it are still written', async () => {
    const w = heldWrites();
    const { rec, lost, logs } = recorder({ write: w.write, concurrency: 1 });
    rec.record(event(0));
    rec.record(event(1));
    w.finish(false);
    await tick();
    w.finish();
    await tick();
    await rec.drain();
    assert.deepEqual(lost, ['failed']);
    assert.ok(logs.some((l) => l.includes('could not record an event') && l.includes('apiserver refused p0') && l.includes('ns/p0')), logs.join('\n'));
    assert.deepEqual(w.started, ['p0', 'p1']);
  });

  it('a queue that never empties keeps no more than twice its capacity of slots', async () => {
    const w = heldWrites();
    const { rec, lost } = recorder({ write: w.write, capacity: 4, concurrency: 1 });
    const slots = (): number => (rec as unknown as { waiting: unknown[] }).waiting.length;
    for (let i = 0; i < 4; i++) rec.record(event(i));
    let most = 0;
    for (let i = 4; i < 204; i++) {
      w.finish();
      await tick();
      rec.record(event(i));
      most = Math.max(most, slots());
    }
    while (w.inFlight() > 0) {
      w.finish();
      await tick();
    }
    assert.deepEqual(lost, []);
    assert.equal(w.started.length, 204, 'every Event written');
    assert.ok(most <= 8, `the queue's array grew to ${most} slots`);
  });
});
