// How one database is listed: the in-memory listing only where the server
// needs it, and, once a server is known to need it, asked together with the
// full listing instead of after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionListing, MilvusPort } from '../milvus/port.ts';
import { EstimateCache, needsFor, observeDatabase } from './observe.ts';

/** A port whose listings are answered only when the test says so, recording the order of requests and answers. */
function gatedPort(o: { percentInList: boolean }): { port: MilvusPort; log: string[]; answer: () => void } {
  const log: string[] = [];
  let gates: (() => void)[] = [];
  const listing = (kind: string, rows: CollectionListing[]): Promise<CollectionListing[]> => {
    log.push(`ask ${kind}`);
    return new Promise((resolve) => gates.push(() => (log.push(`answer ${kind}`), resolve(rows))));
  };
  const port = {
    listCollections: () => listing('all', [{ name: 'c1', ...(o.percentInList ? { loadedPercent: 100 } : {}) }, { name: 'c2', ...(o.percentInList ? { loadedPercent: 0 } : {}) }]),
    listLoaded: () => listing('loaded', [{ name: 'c1', loadedPercent: 100 }]),
  } as unknown as MilvusPort;
  const answer = (): void => {
    const open = gates;
    gates = [];
    for (const g of open) g();
  };
  return { port, log, answer };
}

async function observe(g: ReturnType<typeof gatedPort>): Promise<Awaited<ReturnType<typeof observeDatabase>>> {
  const pending = observeDatabase(g.port, needsFor('default', [], false), new EstimateCache(), 0);
  // Answer whatever was asked, until the observation is done.
  let done = false;
  void pending.then(() => (done = true));
  while (!done) {
    await new Promise((r) => setImmediate(r));
    g.answer();
  }
  return pending;
}

describe('observeDatabase listings', () => {
  it('a server without percentages in its full listing: first one after the other, then both at once', async () => {
    const g = gatedPort({ percentInList: false });
    const first = await observe(g);
    assert.deepEqual(g.log, ['ask all', 'answer all', 'ask loaded', 'answer loaded']);
    g.log.length = 0;
    const second = await observe(g);
    assert.deepEqual(g.log.slice(0, 2), ['ask all', 'ask loaded']);
    for (const o of [first, second]) {
      assert.ok(o.ok);
      assert.equal(o.collections.get('c1')?.loadState, 'Loaded');
      assert.equal(o.collections.get('c2')?.loadState, 'NotLoad');
    }
  });

  it('a server with percentages in its full listing (Lite) is never asked for the in-memory one', async () => {
    const g = gatedPort({ percentInList: true });
    await observe(g);
    const o = await observe(g);
    assert.deepEqual(g.log, ['ask all', 'answer all', 'ask all', 'answer all']);
    assert.ok(o.ok);
    assert.equal(o.collections.get('c1')?.loadState, 'Loaded');
    assert.equal(o.collections.get('c2')?.loadState, 'NotLoad');
  });
});
