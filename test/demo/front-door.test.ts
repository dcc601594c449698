// The README's quick start as a new user meets it (slow: about 2 minutes):
// a fresh `git clone` of this repository, the machine's own old Node (< 22.19)
// first on PATH, then `npm ci && npm run demo -- --exit-after 90`. The npm
// scripts must fetch or reuse Node 24 by themselves, say so in one line, and
// the demo must see its three steps with nothing alarming on screen.
// The kube binaries and Milvus Lite come from the shared cache (obtained by
// the same code the other tests use, once per machine); nothing is rebuilt.
// The old Node: MLO_OLD_NODE (a node binary), else the first `node` on PATH
// other than ours; without one the test is skipped and says why.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { locateKubeAssets } from '../env/kube.ts';
import { milvusAvailability } from '../env/milvus.ts';
import { makeTempDir, type TempDir } from '../env/temp-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ourBin = dirname(process.execPath);

function tooOld(node: string): boolean {
  const v = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 19);
}

/** A node binary older than 22.19 and the PATH directory it is in, or why there is none. */
function oldNode(): { node: string; bin: string } | string {
  const given = process.env.MLO_OLD_NODE;
  if (given) {
    if (!tooOld(given)) return `MLO_OLD_NODE=${given} is not older than 22.19`;
    return { node: given, bin: dirname(given) };
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir === ourBin) continue;
    const node = join(dir, 'node');
    try {
      accessSync(node, constants.X_OK);
    } catch {
      // No node in this directory: look further.
      continue;
    }
    if (tooOld(node)) return { node, bin: dir };
  }
  return 'no Node older than 22.19 on PATH besides the one running the tests; set MLO_OLD_NODE to one to run this test';
}

interface Result {
  code: number | null;
  out: string;
  seconds: number;
}

/** Runs CMD in the clone with OUTPUT (stdout and stderr together) kept. */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    // A hung run must not outlive the test: end its whole process group.
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGINT'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

const old = oldNode();

describe('front door (slow): fresh clone, old Node first on PATH, npm ci && npm run demo', { skip: typeof old === 'string' ? old : false }, () => {
  let dir: TempDir;
  let clone = '';
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    // The servers come from the shared cache; on a machine without them this builds them once, as every other test would.
    await locateKubeAssets();
    const lite = (await milvusAvailability()).lite;
    assert.equal(lite, true, `Milvus Lite is not available: ${String(lite)}`);
    dir = await makeTempDir('mlo-front-door-');
    clone = join(dir.path, 'milvus-load-operator');
    await new Promise<void>((resolve, reject) => execFile('git', ['clone', '--quiet', root, clone], (e) => (e ? reject(new Error(`git clone ${root}: ${e.message}`)) : resolve())));
    const { bin } = old as { bin: string };
    // Only the old Node's directory and the system's: none of the npm variables of the run that started these tests.
    const path = [bin, ...(process.env.PATH ?? '').split(delimiter).filter((d) => d && d !== ourBin && d !== bin)].join(delimiter);
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^NODE_|^INIT_CWD$/i.test(k)));
    env.PATH = path;
  });

  after(async () => {
    await dir?.remove();
  });

  it('npm ci succeeds under the old Node, without install-script warnings', async () => {
    const r = await run('npm', ['ci', '--no-audit', '--no-fund'], clone, env, 300_000);
    process.stderr.write(`front door: npm ci exited ${r.code} in ${r.seconds.toFixed(1)} s\n`);
    assert.equal(r.code, 0, r.out);
    // npm does warn EBADENGINE here (the project and a few dependencies want Node >= 22): true, and the scripts act on it.
    assert.doesNotMatch(r.out, /install-scripts/, r.out);
  });

  it('npm run demo -- --exit-after 90 runs under Node >= 22.19, sees all three steps, prints no gRPC error', async () => {
    const r = await run('npm', ['run', 'demo', '--', '--exit-after', '90'], clone, env, 240_000);
    process.stderr.write(`front door: npm run demo exited ${r.code} in ${r.seconds.toFixed(1)} s\n`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^node: v\d+\.\d+\.\d+ on PATH is older than 22\.19; using Node v\d+\.\d+\.\d+ from /m, r.out);
    assert.match(r.out, /all three steps seen/, r.out);
    // grpc-js error lines ("E <date> | ..." or "E Connection to ..."), and stack traces.
    assert.doesNotMatch(r.out, /^E |excess pings|^\s+at .+:\d+:\d+\)?$/m, r.out);
  });
});
