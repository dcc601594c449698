import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MilvusPort } from '../milvus/port.ts';
import { plan } from '../planner/plan.ts';
import { budget, coll, db, input, policy, T0 } from '../planner/testkit.ts';
import type { ObservedDatabase, PlanInput } from '../planner/types.ts';
import { buildReport, offlineResolver, parsePlanFlags, planInstances, readManifests, readOnly, renderText, summaryLine, viewOf, type InstancePlan, type PlanReport } from './plan.ts';
import { UsageError } from './run.ts';

const GiB = 2 ** 30;

function instancePlan(i: PlanInput): InstancePlan {
  return { instance: i.instance, inputs: i.policies, budgets: i.budgets, observed: i.observed, plan: plan(i) };
}

function reportOf(i: PlanInput): PlanReport {
  return buildReport([viewOf(instancePlan(i))], T0, 'files');
}

const text = (r: PlanReport, verbose = false): string => renderText(r, { color: false, verbose });

describe('plan: the view of a plan', () => {
  it('one line per change, with the planner reason and message, and a summary', () => {
    const r = reportOf(
      input(
        [
          policy({ name: 'hot', spec: { selector: { names: ['products'] } } }),
          policy({ name: 'cold', spec: { selector: { names: ['old'] }, state: 'Released' } }),
          policy({ name: 'steady', spec: { selector: { names: ['reviews'] } } }),
        ],
        { default: db(coll('products'), coll('old', 'Loaded'), coll('reviews', 'Loaded')) },
      ),
    );
    assert.deepEqual(r.summary, { load: 1, release: 1, refresh: 0, defer: 0, conflict: 0, problem: 0, nothing: 1 });
    assert.equal(r.changesPending, true);
    assert.equal(r.complete, true);
    const out = text(r);
    assert.match(out, /^ {2}\+ load {5}default\/products\s+team\/hot\s+Declared: load requested$/m);
    assert.match(out, /^ {2}- release {2}default\/old\s+team\/cold\s+Declared: released$/m);
    assert.doesNotMatch(out, /reviews/, 'nothing-lines only with -v');
    assert.match(text(r, true), /^ {2}= nothing {2}default\/reviews\s+team\/steady\s+Loaded: loaded$/m);
    assert.match(out, /^Plan: 1 to load, 1 to release, 0 deferred, 0 conflicts\.$/m);
  });

  it('prints the exact text a person sees (golden)', () => {
    const r = reportOf(input([policy({ name: 'hot', spec: { selector: { names: ['products'] } } })], { default: db(coll('products')) }));
    assert.equal(
      text(r),
      [
        'Plan at 2026-11-23T10:00:00Z for the policies in the manifests given; nothing is changed.',
        '',
        'Milvus milvus:19530',
        '  + load     default/products  team/hot  Declared: load requested',
        '',
        'Plan: 1 to load, 0 to release, 0 deferred, 0 conflicts.',
        '',
      ].join('\n'),
    );
  });

  it('a conflict names the winner on the loser line', () => {
    const r = reportOf(
      input(
        [
          policy({ name: 'winner', spec: { selector: { names: ['c1'] }, priority: 100 } }),
          policy({ name: 'loser', spec: { selector: { names: ['c1'] }, priority: 1, state: 'Released' } }),
        ],
        { default: db(coll('c1')) },
      ),
    );
    assert.equal(r.summary.conflict, 1);
    const line = text(r).split('\n').find((l) => l.includes(' x conflict'));
    assert.ok(line, text(r));
    assert.match(line, /team\/loser\s+Conflict: policy team\/winner \(priority 100\) also selects this collection and wins/);
    assert.match(summaryLine(r.summary), /1 conflict\.$/);
  });

  it('budget: what fits is loaded, the rest deferred, with the arithmetic', () => {
    const big = (name: string, priority: number) => policy({ name, spec: { selector: { names: [name] }, priority, load: { memoryEstimate: '3Gi' } } });
    const r = reportOf(input([big('first', 100), big('second', 50), big('third', 10)], { default: db(coll('first'), coll('second'), coll('third')) }, { budgets: [budget('prod', '7Gi')] }));
    assert.deepEqual([r.summary.load, r.summary.defer], [2, 1]);
    const b = r.instances[0]?.budgets[0];
    assert.ok(b && 'limitBytes' in b, 'the budget is computed');
    assert.deepEqual(
      { limit: b.limitBytes, now: b.loadedNowBytes, requested: b.requestedBytes, admitted: b.admittedBytes, free: b.freeBytes, deferred: b.deferredBytes, n: b.deferredCount },
      { limit: 7 * GiB, now: 0, requested: 6 * GiB, admitted: 6 * GiB, free: GiB, deferred: 3 * GiB, n: 1 },
    );
    const out = text(r);
    assert.match(out, /! defer {4}default\/third\s+team\/third\s+OverBudget: needs 3Gi \(spec estimate\) but budget prod has 1Gi of 7Gi left/);
    assert.match(out, /budget prod \(preemption Never\): limit 7Gi/);
    assert.match(out, /\+ requested\s+6Gi {2}2 new loads/);
    assert.match(out, /= admitted\s+6Gi {2}of 7Gi; 1Gi left/);
    assert.match(out, /! deferred\s+3Gi {2}1 collection does not fit/);
  });

  it('a refresh annotation gives a ~ refresh line', () => {
    const r = reportOf(input([policy({ name: 'r', annotations: { 'milvusload.io/refresh': 'v2' } })], { default: db(coll('c1', 'Loaded')) }));
    assert.equal(r.summary.refresh, 1);
    assert.match(text(r), /~ refresh {2}default\/c1\s+team\/r\s+Refresh: refresh requested \(milvusload\.io\/refresh=v2\)/);
    assert.match(summaryLine(r.summary), /1 to refresh/);
  });

  it('outside its schedule windows, a load waits: ! defer with the time it loads', () => {
    const scheduled = policy({ name: 'office', spec: { schedule: { timeZone: 'UTC', windows: [{ start: '12:00', end: '13:00' }] } } });
    const r = reportOf(input([scheduled], { default: db(coll('c1')) }));
    assert.equal(r.changesPending, false);
    assert.match(text(r), /! defer {4}default\/c1\s+team\/office\s+OutsideSchedule: outside the schedule windows; it loads at 2026-11-23T12:00:00Z/);
  });

  it('an unobserved Milvus: one ? line for all the policies it blocks, and the plan is incomplete', () => {
    const down: ObservedDatabase = { ok: false, reason: 'MilvusUnavailable', message: 'connection refused; check that Milvus is running' };
    const r = reportOf(input([policy({ name: 'a' }), policy({ name: 'b' })], { default: down }));
    assert.equal(r.complete, false);
    assert.equal(r.summary.problem, 2);
    const out = text(r);
    assert.match(out, /^ {2}\? 2 policies \(team\/a, team\/b\): MilvusUnavailable: connection refused/m);
    assert.doesNotMatch(out, /No changes/);
    assert.match(out, /Incomplete/);
  });

  it('a missing collection is a ? problem, not a change', () => {
    const r = reportOf(input([policy({ name: 'a', spec: { selector: { names: ['ghost'] } } })], { default: db() }));
    assert.equal(r.changesPending, false);
    assert.match(text(r), /\? problem {2}default\/ghost\s+team\/a\s+CollectionNotFound: no collection ghost in database default/);
  });

  it('colour only when asked for, and never in JSON', () => {
    const r = reportOf(input([policy({ name: 'a' })], { default: db(coll('c1')) }));
    assert.match(renderText(r, { color: true, verbose: false }), /\u001b\[32m {2}\+ load/);
    assert.doesNotMatch(text(r), /\u001b/);
    const json = JSON.parse(JSON.stringify(r)) as PlanReport;
    assert.equal(json.instances[0]?.changes[0]?.op, 'load');
  });

  it('no changes says so', () => {
    const r = reportOf(input([policy({ name: 'a' })], { default: db(coll('c1', 'Loaded')) }));
    assert.match(text(r), /^ {2}no changes$/m);
    assert.match(text(r), /^No changes: Milvus is as the policies want it\.\nPlan: 0 to load, 0 to release, 0 deferred, 0 conflicts\.$/m);
  });
});

describe('plan: flags', () => {
  it('colour follows the terminal and NO_COLOR', () => {
    assert.equal(parsePlanFlags([], {}, true).color, true);
    assert.equal(parsePlanFlags([], { NO_COLOR: '1' }, true).color, false);
    assert.equal(parsePlanFlags([], {}, false).color, false);
    assert.equal(parsePlanFlags(['--no-color'], {}, true).color, false);
  });

  it('usage errors say what to do', () => {
    assert.throws(() => parsePlanFlags(['-o', 'yaml'], {}, false), (e: unknown) => e instanceof UsageError && /use text or json/.test(e.message));
    assert.throws(() => parsePlanFlags(['-A', '-f', 'x'], {}, false), UsageError);
    assert.throws(() => parsePlanFlags(['--at', 'tomorrow'], {}, false), /RFC 3339/);
    assert.throws(() => parsePlanFlags(['--bogus'], {}, false), /unknown flag --bogus; see milvus-load-operator plan --help/);
    assert.throws(() => parsePlanFlags(['-f'], {}, false), /-f needs a value/);
  });

  it('--token defaults to MLO_MILVUS_TOKEN; --at parses RFC 3339', () => {
    assert.equal(parsePlanFlags([], { MLO_MILVUS_TOKEN: 't' }, false).token, 't');
    assert.equal(parsePlanFlags(['--token', 'u'], { MLO_MILVUS_TOKEN: 't' }, false).tokenFlag, 'u');
    assert.equal(parsePlanFlags(['--at=2026-12-01T08:00:00Z'], {}, false).at, Date.parse('2026-12-01T08:00:00Z'));
  });

  it('keeps everything after the first = as the value; short flags read as kubectl reads them', () => {
    const f = parsePlanFlags(['--token=user:pa=ss==', '--kubeconfig=/k=v', '-n=team', '-o=json', '-fa.yaml', '--filename=b=c.yaml'], {}, false);
    assert.deepEqual([f.tokenFlag, f.kubeconfig, f.namespace, f.output, f.inputs], ['user:pa=ss==', '/k=v', 'team', 'json', ['a.yaml', 'b=c.yaml']]);
    assert.equal(parsePlanFlags(['--token', '-starts-with-a-dash'], {}, false).tokenFlag, '-starts-with-a-dash', 'a value may start with -');
    const g = parsePlanFlags(['-vA'], {}, false);
    assert.deepEqual([g.verbose, g.allNamespaces], [true, true], 'grouped switches');
  });

  it('unknown flags, missing values and stray words are usage errors naming the flag, never echoing a value', () => {
    assert.throws(() => parsePlanFlags(['--tokn=sk-secret'], {}, false), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --tokn; see milvus-load-operator plan --help');
    assert.throws(() => parsePlanFlags(['-x'], {}, false), /unknown flag -x; see milvus-load-operator plan --help/);
    assert.throws(() => parsePlanFlags(['--token'], {}, false), /^Error: --token needs a value$/);
    assert.throws(() => parsePlanFlags(['-f', 'a.yaml', 'b.yaml'], {}, false), /unexpected argument b\.yaml: plan takes flags only/);
    assert.throws(() => parsePlanFlags(['--verbose=yes'], {}, false), /--verbose is a switch and takes no value/);
  });

  it('MLO_MILVUS_TOKEN is the token when --token is not given; an empty one is no token', () => {
    assert.equal(parsePlanFlags([], { MLO_MILVUS_TOKEN: 'sk-env' }, false).token, 'sk-env');
    assert.equal(parsePlanFlags([], { MLO_MILVUS_TOKEN: '' }, false).token, undefined);
    assert.equal(parsePlanFlags([], {}, false).tokenFlag, undefined);
  });
});

describe('plan: inputs and Milvus access', () => {
  const manifest = (extra = ''): string => `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: p }
spec:
  milvus: { uri: "http://127.0.0.1:1"${extra} }
  selector: { names: [c1] }
`;

  it('reads policies from manifests, defaulting their namespace; an invalid one fails with validate\'s report', () => {
    const r = readManifests([{ file: 'a.yaml', text: manifest() }], 'team');
    assert.equal(r.policies[0]?.metadata.namespace, 'team');
    assert.throws(() => readManifests([{ file: 'bad.yaml', text: manifest().replace('names: [c1]', 'names: []') }], 'team'), /bad\.yaml#0 CollectionLoadPolicy p: spec\.selector/);
  });

  it('without a cluster, a credentials Secret cannot be read unless --token is given', async () => {
    const p = readManifests([{ file: 'a.yaml', text: manifest(', credentialsSecret: { name: creds }') }], 'team').policies[0];
    assert.ok(p);
    const without = await offlineResolver(undefined, undefined)(p);
    assert.equal(without.ok, false);
    assert.match(without.ok ? '' : without.message, /Secret team\/creds .* cannot be read: no kubeconfig; give --kubeconfig, or the Milvus token with --token/);
    const withToken = await offlineResolver('root:Milvus', undefined)(p);
    assert.ok(withToken.ok);
    assert.equal(withToken.settings.token, 'root:Milvus');
  });

  it('the port plan uses refuses load and release, and plans from read-only calls', async () => {
    const calls: string[] = [];
    const fake: MilvusPort = {
      listCollections: async () => (calls.push('listCollections'), [{ name: 'c1', loadedPercent: 0 }]),
      listLoaded: async () => (calls.push('listLoaded'), []),
      loadProgress: async () => 0,
      listPartitions: async () => [],
      describe: async () => ({ id: '1', bytesPerRow: 100 }),
      rowCount: async () => 10,
      segmentMemory: async () => undefined,
      replicas: async () => undefined,
      load: async () => {
        calls.push('load');
        return {};
      },
      release: async () => void calls.push('release'),
      close: async () => void calls.push('close'),
    };
    await assert.rejects(readOnly(fake).load({ database: 'default', collection: 'c1', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false }), /plan never calls load/);
    const src = readManifests([{ file: 'a.yaml', text: manifest() }], 'team');
    const [ip] = await planInstances(src, offlineResolver(undefined, undefined), () => fake, T0);
    assert.ok(ip);
    assert.equal(viewOf(ip).changes[0]?.op, 'load');
    assert.deepEqual(calls, ['listCollections', 'close']);
    assert.equal(ip.observed.get(ip.inputs[0]!.observationKey)?.ok, true, 'the policy is planned from its own observation');
  });
});
