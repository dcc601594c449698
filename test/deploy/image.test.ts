// The container image, checked without a Docker engine. The Dockerfile is
// read and its stages are carried out in a clean directory, each stage's
// WORKDIR a directory of its own: COPY from a build context made by the
// .dockerignore rules, RUN with the npm cache (offline when it holds the
// packages). The last stage's files are made read-only and started as the
// image's USER (when we are root, as CI is), with the ENTRYPOINT, to answer
// --help and version. Its size is printed: the figure in the Dockerfile's
// header comes from here.
import assert from 'node:assert/strict';
import { execFile, type ExecFileOptions } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../env/temp-dir.ts';
import { parseStages, type Stage } from './dockerfile.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));


interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[], opts: ExecFileOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, timeout: 600_000, ...opts }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}



/** A .dockerignore pattern as Go's filepath.Match reads it (so `*` matches dot files too), plus `**`. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** .dockerignore rules in Docker's way: the last rule that matches a path or one of its parents decides. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ negate: l.startsWith('!'), glob: globRegExp(l.replace(/^!/, '').replace(/\/+$/, '')) }));
  return (path: string): boolean => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of rules) if (prefixes.some((p) => r.glob.test(p))) excluded = !r.negate;
    return excluded;
  };
}

async function buildContext(into: string): Promise<string[]> {
  const excluded = dockerignore(await readFile(join(root, '.dockerignore'), 'utf8'));
  const reincludes = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/+$/, ''));
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // Docker walks everything; a directory that no `!` rule reaches into cannot contribute.
        if (excluded(path) && !reincludes.some((r) => r === path || r.startsWith(`${path}/`))) continue;
        await walk(path);
      } else if (!excluded(path)) {
        files.push(path);
        await mkdir(dirname(join(into, path)), { recursive: true });
        await copyFile(join(root, path), join(into, path));
      }
    }
  };
  await walk('');
  return files.sort();
}


/** Carries out a stage's COPY and RUN steps, its WORKDIR mapped to `stage.dir`. */
async function runStage(stage: Stage, stages: Stage[], context: string, env: NodeJS.ProcessEnv): Promise<void> {
  await mkdir(stage.dir, { recursive: true });
  const inStage = (p: string, s: Stage): string => {
    if (!p.startsWith('/')) return join(s.dir, p);
    assert.ok(p === s.workdir || p.startsWith(`${s.workdir}/`), `this test maps only paths under the WORKDIR (${s.workdir}) of stage ${s.name}, not ${p}`);
    return join(s.dir, p.slice(s.workdir.length));
  };
  for (const step of stage.runs) {
    if (step.startsWith('RUN ')) {
      const r = await exec('sh', ['-c', step.slice(4)], { cwd: stage.dir, env: { ...env, ...stage.env } });
      assert.equal(r.code, 0, `stage ${stage.name}: ${step} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      continue;
    }
    const words = step.slice(5).split(/\s+/);
    const fromName = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
    const from = fromName === undefined ? undefined : stages.find((s) => s.name === fromName);
    assert.ok(fromName === undefined || from, `COPY --from=${fromName}: no stage of that name before it`);
    const dest = words.pop()!;
    for (const src of words) {
      const source = from ? inStage(src, from) : join(context, src);
      const target = dest.endsWith('/') ? join(inStage(dest, stage), src.split('/').pop()!) : inStage(dest, stage);
      await cp(source, target, { recursive: true });
    }
  }
}

async function sizeOf(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { bytes, files };
}

const MiB = 1 << 20;

describe('container image, reproduced without a Docker engine', { timeout: 900_000 }, () => {
  let tmp: TempDir;
  let dockerfile: string;
  let stages: Stage[];
  let context: string;
  let runtime: Stage;
  const timings: Record<string, number> = {};

  before(async () => {
    tmp = await makeTempDir('mlo-image-');
    // The image's user must be able to reach the files we start it from.
    await chmod(tmp.path, 0o755);
    dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    stages = parseStages(dockerfile, join(tmp.path, 'stages'));
    runtime = stages.at(-1)!;
  });

  after(async () => {
    await exec('chmod', ['-R', 'u+w', tmp.path]);
    await tmp?.remove();
    process.stderr.write(`image test timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it('names base images without a registry host, on Node 24, and runs as a numeric non-root user', () => {
    for (const s of stages) {
      const base = s.base.split('@')[0]!;
      assert.match(base, /^node:24(-|$)/, `stage ${s.name} is FROM ${s.base}: the image is built on Node 24 LTS`);
      assert.ok(!base.split('/')[0]!.includes('.') && !base.includes('/'), `stage ${s.name} is FROM ${s.base}: name base images without a registry host`);
    }
    assert.equal(runtime.user, '65532:65532', 'the runtime stage runs as UID:GID 65532:65532, numeric so that runAsNonRoot can verify it');
    assert.deepEqual(runtime.entrypoint, ['node', '--max-semi-space-size=1', '--heap-growing-percent=15', '--no-maglev', 'dist/src/main.js'], 'the bench runs these flags (bench/build.ts)');
    assert.equal(runtime.env.MALLOC_ARENA_MAX, '2', 'the bench runs the operator with this environment (bench/build.ts)');
    assert.deepEqual(runtime.cmd, ['run']);
    for (const l of ['title', 'description', 'version', 'revision', 'licenses'])
      assert.ok(runtime.labels[`org.opencontainers.image.${l}`], `OCI label org.opencontainers.image.${l} is missing`);
    assert.equal(runtime.labels['org.opencontainers.image.licenses'], 'Apache-2.0');
    assert.ok(!runtime.runs.some((r) => r.startsWith('RUN ')), 'the runtime stage runs nothing: it only copies what the other stages made');
  });

  it('hadolint finds nothing in the Dockerfile', async (t) => {
    const t0 = Date.now();
    const r = await exec('bash', [join(root, 'scripts/check-image.sh'), 'lint']);
    timings.lint = Date.now() - t0;
    if (r.code === 3) {
      t.skip(`no Dockerfile linter could be installed: ${r.stderr.trim()}`);
      return;
    }
    assert.equal(r.code, 0, `hadolint:\n${r.stdout}${r.stderr}`);
  });

  it('the build context holds only what the build needs', async () => {
    context = join(tmp.path, 'context');
    const files = await buildContext(context);
    for (const must of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts', 'crds/milvusload.io_collectionloadpolicies.yaml'])
      assert.ok(files.includes(must), `${must} is missing from the build context; see .dockerignore`);
    const stray = files.filter((f) => /^(node_modules|dist|test|\.git|deploy|bench)\/|\.test\.ts$|kubeconfig(?!\.ts$)/.test(f)); // a kubeconfig file, not the module that reads them
    assert.deepEqual(stray, [], 'files the image does not need are in the build context; see .dockerignore');
  });

  it('every stage builds from that context, with the npm cache', async () => {
    assert.ok(context, 'the build context test ran first');
    // Our Node first on PATH, so that the stages' npm is Node 24's.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
    for (const s of stages) {
      const t0 = Date.now();
      await runStage(s, stages, context, env);
      timings[`stage ${s.name}`] = Date.now() - t0;
    }
    await stat(join(runtime.dir, 'dist/src/main.js'));
  });

  it('the runtime stage has production dependencies only', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies)) await stat(join(runtime.dir, 'node_modules', dep, 'package.json'));
    const nm = new Set(await readdir(join(runtime.dir, 'node_modules')));
    for (const dev of ['typescript', 'eslint', 'fast-check', 'typescript-eslint']) assert.ok(!nm.has(dev), `devDependency ${dev} is in the runtime stage`);
    const top = (await readdir(runtime.dir)).sort();
    assert.deepEqual(top, ['crds', 'dist', 'node_modules', 'package.json'], 'the runtime stage holds node_modules, dist, crds and package.json only');
    const tests = (await readdir(join(runtime.dir, 'dist'), { recursive: true })).filter((f) => f.endsWith('.test.js'));
    assert.deepEqual(tests, [], 'compiled tests are in the image');
  });

  it('starts as the image user from a read-only directory: --help, run --help, version', async () => {
    // Everything read-only, as on a read-only root filesystem; the image's
    // HOME (/tmp, an emptyDir in the Deployment) is a fresh directory that
    // must stay empty.
    const ro = await exec('chmod', ['-R', 'a-w', runtime.dir]);
    assert.equal(ro.code, 0, ro.stderr);
    const home = join(tmp.path, 'home');
    await mkdir(home, { mode: 0o777 });
    await chmod(home, 0o777);
    const asRoot = process.getuid?.() === 0;
    const [uid, gid] = (runtime.user ?? '').split(':').map(Number);
    // The node binary, where the image user can run it (ours may sit under a 0700 home).
    const bin = join(tmp.path, 'bin');
    await mkdir(bin);
    await copyFile(process.execPath, join(bin, 'node'));
    await chmod(bin, 0o755);
    await chmod(join(bin, 'node'), 0o755);
    const env = { PATH: `${bin}:/usr/bin:/bin`, ...runtime.env, HOME: home };
    const start = (...args: string[]): Promise<Result> => {
      const [cmd, ...rest] = runtime.entrypoint!;
      return exec(cmd === 'node' ? join(bin, 'node') : cmd!, [...rest, ...args], { cwd: runtime.dir, env, ...(asRoot ? { uid, gid } : {}) });
    };
    const t0 = Date.now();
    const help = await start('--help');
    timings.help = Date.now() - t0;
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: milvus-load-operator/);
    const runHelp = await start('run', '--help');
    assert.equal(runHelp.code, 0, runHelp.stderr);
    assert.match(runHelp.stdout, /--namespaces/);
    const version = await start('version');
    assert.equal(version.code, 0, version.stderr);
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), `milvus-load-operator ${pkg.version}`);
    assert.deepEqual(await readdir(home), [], 'the operator wrote into HOME');
    if (!asRoot) process.stderr.write('image test: not root, so the commands ran as this user (files read-only) rather than as UID 65532\n');
  });

  it('is small: the runtime stage adds less than 100 MiB to the base image', async () => {
    const { bytes, files } = await sizeOf(runtime.dir);
    const du = await exec('du', ['-sk', runtime.dir]);
    const kib = Number(du.stdout.split(/\s/)[0]);
    // What a registry stores for the layers: a gzipped tar.
    const gz = await exec('sh', ['-c', 'tar -c -C "$1" . | gzip -6 | wc -c', 'sh', runtime.dir]);
    const gzMiB = Number(gz.stdout.trim()) / MiB;
    process.stderr.write(`image test: runtime stage ${(bytes / MiB).toFixed(1)} MiB in ${files} files (du: ${(kib / 1024).toFixed(1)} MiB, gzipped tar: ${gzMiB.toFixed(1)} MiB) on top of ${runtime.base}\n`);
    assert.ok(bytes < 100 * MiB, `the runtime stage holds ${(bytes / MiB).toFixed(1)} MiB; look at what node_modules gained (du -sh node_modules/* | sort -h)`);
  });
});
