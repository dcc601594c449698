// Idle release and load on use through the reconciler: the usage port is a
// scripted reader (an in-memory fake of the operator's own port); the
// readers themselves are tested on the simulator's /metrics, a real
// Prometheus and Milvus standalone (src/usage, test/integration, test/e2e).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budget, policy, T0 } from '../planner/testkit.ts';
import type { UsageReading, UsageSourceConfig } from '../usage/types.ts';
import { Harness } from './testkit.ts';

/** A reader that reports the collections searched since its last reading, as the proxies' counters would. */
class ScriptedReader {
  searched = new Set<string>();
  down = false;
  readings = 0;
  /** As the proxies' reader: a reading covers the time since the previous one (the first only takes the baseline). */
  private previous: Date | undefined;
  readonly configs: UsageSourceConfig[] = [];
  private readonly now: () => number;
  constructor(now: () => number) {
    this.now = now;
  }
  async read(): Promise<UsageReading> {
    await Promise.resolve();
    this.readings++;
    const at = new Date(this.now());
    if (this.down) return { ok: false, at, reason: 'UsageUnavailable', message: 'http://proxy:9091/metrics did not answer' };
    const used = { byDatabase: new Map([['default', new Set(this.searched)]]), anyDatabase: new Set<string>() };
    this.searched.clear();
    const since = this.previous;
    this.previous = at;
    return { ok: true, at, used, since, seen: used };
  }
}

interface Setup {
  readonly h: Harness;
  readonly reader: ScriptedReader;
}

function setup(): Setup {
  let reader: ScriptedReader | undefined;
  const usageBudget = budget('b', '100Gi');
  const withUsage = { ...usageBudget, spec: { ...usageBudget.spec, usage: { milvusMetrics: { endpoints: ['http://proxy:9091/metrics'] }, period: '1m' } } };
  const h: Harness = new Harness({
    start: T0,
    // Longer than the usage period: the reconciler must wake for readings by itself.
    resyncMs: 5 * 60_000,
    budgets: [withUsage],
    usageReaders: (config) => {
      reader ??= new ScriptedReader(() => h.clock.now());
      reader.configs.push(config);
      return reader;
    },
  });
  for (const c of ['busy', 'quiet']) h.milvus.add(c);
  h.kube.apply(policy({ name: 'p', spec: { selector: { names: ['busy', 'quiet'] }, idle: { releaseAfter: '10m', overrideLoaded: true, loadOnUse: true } } }));
  return {
    h,
    get reader(): ScriptedReader {
      return reader ?? assert.fail('no reader made');
    },
  };
}

const state = (h: Harness, name: string): string | undefined => h.status('p').collections?.find((c) => c.name === name)?.state;

describe('reconcile: usage-aware memory', () => {
  it('releases what nobody searched after releaseAfter (within a period), and loads it on the next search', async () => {
    const s = setup();
    const { h } = s;
    await h.pass();
    assert.equal(s.reader.configs[0]?.kind, 'MilvusMetrics', 'the budget names the source');
    assert.deepEqual([state(h, 'busy'), state(h, 'quiet')], ['Loaded', 'Loaded']);
    let releasedAt: number | undefined;
    for (let t = 0; t < 20 * 60_000 && releasedAt === undefined; ) {
      s.reader.searched.add('busy');
      const o = await h.pass();
      if (state(h, 'quiet') === 'Released') releasedAt = h.clock.now() - T0;
      const step = o.ok ? (o.requeueAfterMs ?? 30_000) : 5_000;
      assert.ok(step <= 61_000, `woken at least once per usage period (${step} ms)`);
      h.clock.advance(step);
      t += step;
    }
    assert.ok(releasedAt !== undefined, 'quiet was released');
    assert.ok(releasedAt >= 10 * 60_000 && releasedAt <= 12 * 60_000, `released at ${releasedAt / 60_000} min, releaseAfter 10m plus at most a period`);
    assert.equal(state(h, 'busy'), 'Loaded', 'the searched one stays');
    assert.equal(h.status('p').collections?.find((c) => c.name === 'quiet')?.reason, 'Idle');
    assert.ok(h.kube.events.some((e) => e.reason === 'IdleReleased'));

    // A search on the released collection (it fails; the proxies count it) brings it back within a period.
    s.reader.searched.add('quiet');
    const searchedAt = h.clock.now();
    for (let i = 0; i < 5 && state(h, 'quiet') !== 'Loaded'; i++) {
      h.clock.advance(60_000);
      await h.pass();
    }
    assert.equal(state(h, 'quiet'), 'Loaded');
    assert.ok(h.clock.now() - searchedAt <= 2 * 60_000, 'loaded again within about one period');
    assert.equal(h.milvus.loads.at(-1)?.req.priority, 'High', 'a load on use asks for high priority');
  });

  it('never releases for idleness while the source is down, and says why', async () => {
    const s = setup();
    const { h } = s;
    await h.pass();
    s.reader.down = true;
    await h.drive(30 * 60_000);
    assert.deepEqual([state(h, 'busy'), state(h, 'quiet')], ['Loaded', 'Loaded']);
    assert.equal(h.milvus.releases.length, 0);
    const known = h.condition('p', 'UsageKnown');
    assert.equal(known.status, 'False');
    assert.match(known.message, /did not answer/);
  });

  it('reads usage once per period, not once per pass', async () => {
    const s = setup();
    const { h } = s;
    await h.pass();
    for (let i = 0; i < 10; i++) {
      h.clock.advance(5_000);
      await h.pass();
    }
    assert.equal(s.reader.readings, 1, '50 s of passes, period 1m');
  });
});
