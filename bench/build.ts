// The bench runs the operator as the image does: `node dist/src/main.js`,
// compiled by `npm run build` (tsc -p tsconfig.build.json), not
// `node src/main.ts` (Node's type stripping costs memory of its own: about
// 20 MiB RSS by hand, issue 16). Built once at the start of every run, so the
// figures always belong to the sources next to them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStages, type Stage } from '../test/deploy/dockerfile.ts';
import { REPO_ROOT } from './session.ts';

/** The image's final stage, read by the image test's own reader (test/deploy/dockerfile.ts). */
function runtimeStage(root: string): Stage {
  const path = join(root, 'Dockerfile');
  const stage = parseStages(readFileSync(path, 'utf8')).at(-1);
  if (!stage) throw new Error(`no FROM in ${path}: the bench runs the operator as the image does`);
  return stage;
}

/**
 * Node's flags from the image's ENTRYPOINT (between `node` and the script),
 * so the bench runs the operator exactly as the image does.
 */
export function imageNodeFlags(root: string = REPO_ROOT): string[] {
  const argv = runtimeStage(root).entrypoint ?? [];
  const script = argv.indexOf('dist/src/main.js');
  if (argv[0] !== 'node' || script < 0) throw new Error(`the image's ENTRYPOINT is ${JSON.stringify(argv)}; the bench expects node [flags] dist/src/main.js`);
  return argv.slice(1, script);
}

/** The environment the image's final stage sets, so the bench's operator gets it too (e.g. MALLOC_ARENA_MAX). */
export function imageEnv(root: string = REPO_ROOT): Record<string, string> {
  return { ...runtimeStage(root).env };
}

/** What the bench ran: the command line shown in the report. */
export const ENTRY_POINT = [...Object.entries(imageEnv()).map(([k, v]) => `${k}=${v}`), 'node', ...imageNodeFlags(), 'dist/src/main.js', 'run'].join(' ');

/** Compiles `root` (default: this repository) and returns the path of its dist/src/main.js. */
export function buildOperator(root: string = REPO_ROOT, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const config = join(root, 'tsconfig.build.json');
  if (!existsSync(config)) throw new Error(`cannot build the operator: ${config} does not exist; --operator-root must name a checkout of milvus-load-operator`);
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  log(`bench: building the operator (tsc -p ${config}, as npm run build does)`);
  const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`npm run build failed in ${root} (exit ${r.status ?? r.signal}); the bench measures the compiled operator, so fix the build first:\n${out}`);
  }
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`the build succeeded but ${main} is missing; check outDir in ${config}`);
  return main;
}
