// scripts/with-node.sh, the prefix of every npm script: silent with a new
// enough Node; one line when it runs a cached Node 24 in place of an old one;
// one sentence and exit 1 when it cannot fetch one (here: no npm on PATH).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from './temp-dir.ts';

const script = fileURLToPath(new URL('../../scripts/with-node.sh', import.meta.url));
const ourBin = dirname(process.execPath);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(path: string, cacheDir: string | undefined, args: readonly string[]): Promise<Result> {
  // MLO_NODE_VERSION: the cache below holds the Node running this test, whatever its major version.
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: path, MLO_NODE_VERSION: process.versions.node.split('.')[0], ...(cacheDir ? { MLO_CACHE_DIR: cacheDir } : {}) };
  return new Promise((resolve) => {
    execFile('/bin/bash', [script, ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** The first `node` on PATH older than 22.19 other than ours, or undefined. */
function oldNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir === ourBin) continue;
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
    } catch {
      // No node here: look further.
      continue;
    }
    const [major = 0, minor = 0] = execFileSync(join(dir, 'node'), ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 19)) return join(dir, 'node');
  }
  return undefined;
}

describe('scripts/with-node.sh', () => {
  it('runs the command with a new enough Node and says nothing', async () => {
    const r = await run(`${ourBin}${delimiter}/usr/bin${delimiter}/bin`, undefined, ['node', '-p', 'process.version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), process.version);
    assert.equal(r.stderr, '');
  });

  it('passes the exit code of the command through', async () => {
    const r = await run(`${ourBin}${delimiter}/usr/bin${delimiter}/bin`, undefined, ['node', '-e', 'process.exit(7)']);
    assert.equal(r.code, 7);
  });

  const old = oldNode();
  describe('with an older Node first on PATH', { skip: old === undefined ? 'no Node older than 22.19 on PATH besides ours' : false }, () => {
    let dir: TempDir;
    let onlyOldNode = '';
    let cache = '';

    before(async () => {
      dir = await makeTempDir('mlo-with-node-');
      // A PATH with the old node and the few tools the script uses, but no npm.
      onlyOldNode = join(dir.path, 'bin');
      execFileSync('mkdir', ['-p', onlyOldNode, join(dir.path, 'cache', 'node')]);
      symlinkSync(old!, join(onlyOldNode, 'node'));
      for (const tool of ['dirname', 'uname', 'ls', 'sort', 'tail', 'mkdir']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(onlyOldNode, tool));
      // The Node running this test stands in for a cached Node 24.
      cache = join(dir.path, 'cache');
      symlinkSync(dirname(ourBin), join(cache, 'node', `v${process.versions.node}`));
    });

    after(async () => {
      await dir?.remove();
    });

    it('uses the cached newer Node and says so in one line', async () => {
      const r = await run(onlyOldNode, cache, ['node', '-p', 'process.version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), process.version);
      assert.match(r.stderr, /^node: v\d+\.\d+\.\d+ on PATH is older than 22\.19; using Node v\d+\.\d+\.\d+ from \S+\n$/);
    });

    it('cannot fetch one without npm: one sentence, exit 1, the command not run', async () => {
      const r = await run(onlyOldNode, join(dir.path, 'empty-cache'), ['node', '-p', '"ran"']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^node: milvus-load-operator needs Node\.js >= 22\.19 \(found v\d+\.\d+\.\d+\) and fetches it with npm, which is not on PATH; install Node\.js 24 LTS and run again\.\n$/);
    });
  });
});
