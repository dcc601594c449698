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
// - a skip (test or whole suite) passes only if allowed.json lists its file,
//   its full name ("suite > test") and a reason its message contains;
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
  readonly name: string;
  readonly nesting: number;
  readonly file?: string;
  readonly skip?: string | boolean;
  readonly details?: { readonly type?: string };
}

interface TestEvent {
  readonly type: string;
  readonly data: TestEventData;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const allowed = JSON.parse(readFileSync(new URL('./allowed.json', import.meta.url), 'utf8')) as AllowedSkips;

export default async function* skipCheck(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const run: RunRecord = { skips: [], passedPerFile: new Map(), filesSeen: new Set() };
  // The names of the enclosing suites, per file, indexed by nesting level.
  const stacks = new Map<string, string[]>();
  for await (const ev of source) {
    const file = ev.data.file ? relative(ROOT, ev.data.file) : undefined;
    if (file === undefined) continue;
    run.filesSeen.add(file);
    const stack = stacks.get(file) ?? [];
    stacks.set(file, stack);
    if (ev.type === 'test:start') {
      stack.length = ev.data.nesting;
      stack[ev.data.nesting] = ev.data.name;
      continue;
    }
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const name = [...stack.slice(0, ev.data.nesting), ev.data.name].join(' > ');
    if (ev.data.skip !== undefined && ev.data.skip !== false) {
      run.skips.push({ file, test: name, message: ev.data.skip === true ? '' : ev.data.skip });
    } else if (ev.type === 'test:pass' && ev.data.details?.type !== 'suite') {
      run.passedPerFile.set(file, (run.passedPerFile.get(file) ?? 0) + 1);
    }
  }
  const verdict = checkRun(allowed, run, process.env);
  yield verdict.report;
  if (!verdict.ok) process.exitCode = 1;
}
