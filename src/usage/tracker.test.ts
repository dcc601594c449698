import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCollection, emptyCollectionSet } from './collection-set.ts';
import { UsageTracker } from './tracker.ts';
import type { UsageReading } from './types.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const ms = (s: number): number => T0 + s * 1000;

function good(atS: number, sinceS: number | undefined, used: [string | undefined, string][] = []): UsageReading {
  const u = emptyCollectionSet();
  for (const [db, c] of used) addCollection(u, db, c);
  return { ok: true, at: at(atS), since: sinceS === undefined ? undefined : at(sinceS), used: u, seen: u };
}

function tracker(): { t: UsageTracker; clock: { s: number } } {
  const clock = { s: 0 };
  return { t: new UsageTracker({ now: () => at(clock.s), staleAfterMs: 120_000 }), clock };
}

describe('UsageTracker', () => {
  it('is unknown before the first good reading; the first one starts the watch', () => {
    const { t } = tracker();
    assert.deepEqual(t.usage('default', 'a'), { state: 'Unknown', reason: 'UsageNotRead', message: 'usage has not been read yet' });
    t.record(good(0, undefined));
    assert.deepEqual(t.usage('default', 'a'), { state: 'Known', trackedSince: ms(0) });
  });

  it('records the reading time as lastUsedTime, per database, and names without a database for every database', () => {
    const { t, clock } = tracker();
    t.record(good(0, undefined));
    t.record(good(30, 0, [['default', 'a']]));
    t.record(good(60, 30, [[undefined, 'b']]));
    clock.s = 60;
    assert.deepEqual(t.usage('default', 'a'), { state: 'Known', lastUsedTime: ms(30), trackedSince: ms(0) });
    assert.deepEqual(t.usage('logs', 'a'), { state: 'Known', trackedSince: ms(0) });
    assert.deepEqual(t.usage('logs', 'b'), { state: 'Known', lastUsedTime: ms(60), trackedSince: ms(0) });
    t.record(good(90, 60, [['logs', 'b']]));
    t.record(good(120, 90, [[undefined, 'b']]));
    clock.s = 120;
    assert.deepEqual(t.usage('logs', 'b'), { state: 'Known', lastUsedTime: ms(120), trackedSince: ms(0) }, 'the later of the two wins');
    t.forget('default', 'a');
    assert.deepEqual(t.usage('default', 'a'), { state: 'Known', trackedSince: ms(0) });
  });

  it('a failed reading makes usage unknown with its reason, and a later good one restores it', () => {
    const { t, clock } = tracker();
    t.record(good(0, undefined, []));
    t.record(good(30, 0, [['default', 'a']]));
    t.record({ ok: false, at: at(60), reason: 'UsageUnavailable', message: 'Prometheus at http://p:9090/: connection refused' });
    clock.s = 60;
    assert.deepEqual(t.usage('default', 'a'), { state: 'Unknown', reason: 'UsageUnavailable', message: 'Prometheus at http://p:9090/: connection refused' });
    t.record(good(90, 30));
    clock.s = 90;
    assert.deepEqual(t.usage('default', 'a'), { state: 'Known', lastUsedTime: ms(30), trackedSince: ms(0) }, 'the reading reaches back to the last good one: no gap');
  });

  it('a reading that leaves a gap since the previous good one restarts the watch', () => {
    const { t, clock } = tracker();
    t.record(good(0, -300));
    t.record(good(600, 300));
    clock.s = 600;
    assert.deepEqual(t.usage('default', 'a'), { state: 'Known', trackedSince: ms(300) });
  });

  it('a good reading older than staleAfterMs no longer counts', () => {
    const { t, clock } = tracker();
    t.record(good(0, undefined));
    clock.s = 121;
    const u = t.usage('default', 'a');
    assert.equal(u.state === 'Unknown' && u.reason, 'UsageStale');
  });
});
