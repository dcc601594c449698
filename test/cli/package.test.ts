// The CLI as a package, as a GitOps pipeline uses it: `npm pack` (its
// prepack hook builds dist/), the tarball installed into an empty folder with
// production dependencies only, then `npx milvus-load-operator validate` on
// examples/ and `plan --help`. Slow-ish (about a minute): it builds and
// installs; the dependencies come from npm's cache when it holds them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../env/temp-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// This Node first on PATH: npm and npx then run the package's bin with it, as they would on a machine that has only Node >= 22.19.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

function exec(cmd: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 16 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function ok(what: string, r: Result): Result {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe('npm pack: the CLI as a package', () => {
  let dir: TempDir;
  let tarball = '';
  let listing: string[] = [];

  before(async () => {
    dir = await makeTempDir('mlo-pack-');
    const packed = ok('npm pack', await exec('npm', ['pack', '--json', '--pack-destination', dir.path], root));
    // prepack's own output (the build) comes before npm's JSON on stdout.
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir.path, info[0]!.filename);
    listing = info[0]!.files.map((f) => f.path);
    const app = join(dir.path, 'pipeline');
    await exec('mkdir', ['-p', app], dir.path);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'pipeline', private: true }));
    ok('npm install of the tarball', await exec('npm', ['install', '--omit=dev', '--prefer-offline', tarball], app));
  });

  after(async () => {
    await dir.remove();
  });

  it('holds the built program and the CRDs, and no sources or tests', () => {
    assert.ok(existsSync(tarball));
    for (const f of ['package.json', 'dist/src/main.js', 'dist/src/cli/validate.js', 'crds/milvusload.io_collectionloadpolicies.yaml', 'crds/milvusload.io_collectionloadbudgets.yaml']) {
      assert.ok(listing.includes(f), `${f} is missing from the tarball: ${listing.join(', ')}`);
    }
    const stray = listing.filter((f) => /\.test\.js$|^src\/|^test\/|testkit/.test(f));
    assert.deepEqual(stray, []);
  });

  it('installs without TypeScript or any development dependency', async () => {
    const modules = await readdir(join(dir.path, 'pipeline', 'node_modules'));
    for (const dev of ['typescript', 'eslint', 'fast-check']) assert.ok(!modules.includes(dev), `${dev} was installed`);
  });

  it('npx milvus-load-operator validate accepts the examples', async () => {
    const r = ok('validate', await exec('npx', ['--no-install', 'milvus-load-operator', 'validate', '-f', join(root, 'examples')], join(dir.path, 'pipeline')));
    assert.match(r.stdout, /\d+ object\(s\) in \d+ file\(s\): \d+ valid, 0 invalid/);
  });

  it('npx milvus-load-operator validate rejects a bad manifest with exit 1', async () => {
    const bad = join(dir.path, 'bad.yaml');
    await writeFile(bad, 'apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: x, namespace: y }\nspec: { milvus: { uri: http://m:19530 }, selector: {} }\n');
    const r = await exec('npx', ['--no-install', 'milvus-load-operator', 'validate', '-f', bad], join(dir.path, 'pipeline'));
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /selector/);
  });

  it('npx milvus-load-operator plan and version run from the package', async () => {
    const app = join(dir.path, 'pipeline');
    assert.match(ok('plan --help', await exec('npx', ['--no-install', 'milvus-load-operator', 'plan', '--help'], app)).stdout, /Usage: milvus-load-operator plan/);
    assert.match(ok('version', await exec('npx', ['--no-install', 'milvus-load-operator', 'version'], app)).stdout, /^milvus-load-operator \d+\.\d+\.\d+/);
  });
});
