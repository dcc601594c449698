// A pass goes a cell at a time (a database, or the whole instance when a
// budget spans it): a pass for the cells events touched observes and acts on
// those databases only, and a whole pass takes touched cells first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budget, policy, T0 } from '../planner/testkit.ts';
import { Harness } from './testkit.ts';

const URI = 'http://milvus:19530';

/** One policy per database, each wanting `c1` of its database loaded. */
function threeDatabases(o: { budgeted?: boolean } = {}): Harness {
  const h = new Harness({ start: T0, ...(o.budgeted ? { budgets: [budget('b', '100Gi')] } : {}) });
  for (const db of ['a', 'b', 'c']) {
    h.milvus.add('c1', { database: db });
    h.milvus.add('c2', { database: db });
    h.kube.apply(policy({ name: `p-${db}`, spec: { milvus: { uri: URI, database: db }, selector: { names: ['c1'] } } }));
  }
  return h;
}

describe('reconcile: cells', () => {
  it('a pass for one database observes and acts on that database only, and leaves the others alone', async () => {
    const h = threeDatabases();
    await h.pass();
    const writesBefore = h.kube.statusPatches.length;
    h.kube.apply(policy({ name: 'new', spec: { milvus: { uri: URI, database: 'b' }, selector: { names: ['c2'] } } }));
    const listed = h.spyListings();
    const o = await h.pass(undefined, { databases: new Set(['b']) });
    assert.deepEqual([...new Set(listed)], ['b']);
    assert.equal(h.milvus.collection('c2', 'b').percent, 100);
    assert.equal(h.entry('new', 'c2').state, 'Loaded');
    assert.deepEqual(
      h.kube.statusPatches.slice(writesBefore).map((w) => w.name),
      ['new'],
    );
    assert.equal(h.stats.at(-1)?.partial, true);
    assert.deepEqual(
      h.stats.at(-1)?.plan.policies.map((ref) => ref.split('/')[1]).sort(),
      ['new', 'p-b'],
    );
    assert.ok(o.ok && (o.requeueAfterMs ?? 0) > 0);
  });

  it('a whole pass takes the cells touched meanwhile first, and again when already done', async () => {
    const h = threeDatabases();
    const listed = h.spyListings();
    const touches = [new Set(['c']), new Set<string>(), new Set<string>(), new Set(['c'])];
    await h.pass(undefined, { touched: () => touches.shift() ?? new Set() });
    // c first (touched before the first cell), a and b in order, then c again (touched after it was done).
    assert.deepEqual(
      listed.filter((db, i) => listed[i - 1] !== db),
      ['c', 'a', 'b', 'c'],
    );
    assert.equal(h.stats.at(-1)?.partial, false);
    assert.deepEqual(h.stats.at(-1)?.plan.policies.map((ref) => ref.split('/')[1]).sort(), ['p-a', 'p-b', 'p-c'], 'a cell done twice is counted once');
  });

  it('a cell touched without pause runs at most twice in one pass; the rest is left for the next pass', async () => {
    const h = threeDatabases();
    const listed = h.spyListings();
    const givenBack: string[] = [];
    await h.pass(undefined, { touched: () => new Set(['a']), retouch: (db) => givenBack.push(db) });
    assert.deepEqual(
      listed.filter((db, i) => listed[i - 1] !== db),
      ['a', 'b', 'c'],
      'a, once more at once (touched again), then b and c',
    );
    assert.equal(listed.filter((db) => db === 'a').length, 2 * listed.filter((db) => db === 'b').length, 'a listed in two runs');
    assert.ok(givenBack.length > 0 && givenBack.every((db) => db === 'a'), 'the later touches go back to the schedule');
  });

  it('an instance with a budget is one cell: a pass for one database plans them all', async () => {
    const h = threeDatabases({ budgeted: true });
    await h.pass();
    const listed = h.spyListings();
    await h.pass(undefined, { databases: new Set(['b']) });
    assert.deepEqual([...new Set(listed)].sort(), ['a', 'b', 'c']);
  });

  it('a Milvus that does not answer is asked once per pass, and every policy says so', async () => {
    const h = threeDatabases();
    h.milvus.down = true;
    const o = await h.pass();
    assert.deepEqual(o, { ok: false, retry: true });
    assert.equal(h.milvus.count('listCollections'), 1, 'one database asked; the other cells reuse its failure');
    for (const db of ['a', 'b', 'c']) assert.equal(h.condition(`p-${db}`, 'Ready').reason, 'MilvusUnavailable');
  });
});
