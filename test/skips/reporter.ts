// A node:test reporter that makes a run fail when a test is skipped without
// being declared in test/skips/allowed.json, or when a tier of the suite
// (a real server: Milvus Lite, Milvus standalone) silently ran nothing.
// It runs beside the `spec` reporter, prints only its own verdict (to
// stderr), and sets the exit code; the spec output, with node's closing
// "ℹ pass N" lines, is untouched.
//
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./test/skips/reporter.ts --test-reporter-destination=stderr ...
//
// Rules (docs/test-environment.md, "Declared skips"):
// - a skip (test or whole suite) passes only if allowed.json lists the file
//   that defines it, its name (after the last " > " of the entry's full name)
//   and a reason its message contains;
// - a tier's file that ran must have passed at least one test;
// - with MLO_SKIP_CHECK=full (the `npm test` script), every tier file must
//   have run at all;
// - outside CI, a tier may be turned off by its declared switch (e.g.
//   MLO_MILVUS_STANDALONE=0): its skips are then reported, not failed. With
//   CI=true every tier must run.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRun, type AllowedSkips, type RunRecord } from './check.ts';

interface TestEventData {
  readonly name?: string;
  readonly nesting?: number;
  readonly file?: string;
  readonly skip?: string | boolean;
  readonly counts?: { readonly passed: number };
}

interface TestEvent {
  readonly type: string;
  readonly data: TestEventData;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const allowed = JSON.parse(readFileSync(new URL('./allowed.json', import.meta.url), 'utf8')) as AllowedSkips;

/**
 * A test event's `file` is where the test is defined (a shared suite such as
 * test/milvus-contract/contract.ts for several test files); the per-file
 * `test:summary` names the test file that ran. Skips are therefore matched by
 * definition file, test name and reason; tiers by the summaries.
 */
export default async function* skipCheck(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const run: RunRecord = { skips: [], passedPerFile: new Map(), filesSeen: new Set() };
  // Enclosing suite names per definition file, by nesting level: only for messages (files running at once may interleave).
  const stacks = new Map<string, string[]>();
  for await (const ev of source) {
    const file = ev.data.file ? relative(ROOT, ev.data.file) : undefined;
    if (file === undefined) continue;
    if (ev.type === 'test:summary') {
      run.filesSeen.add(file);
      run.passedPerFile.set(file, ev.data.counts?.passed ?? 0);
      continue;
    }
    const nesting = ev.data.nesting ?? 0;
    const name = ev.data.name ?? '';
    const stack = stacks.get(file) ?? [];
    stacks.set(file, stack);
    if (ev.type === 'test:start') {
      stack.length = nesting;
      stack[nesting] = name;
      continue;
    }
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    if (ev.data.skip === undefined || ev.data.skip === false) continue;
    const suites = stack.slice(0, nesting);
    run.skips.push({ file, test: name, path: [...suites, name].join(' > '), message: ev.data.skip === true ? '' : ev.data.skip });
  }
  const verdict = checkRun(allowed, run, process.env);
  yield verdict.report;
  if (!verdict.ok) process.exitCode = 1;
}
