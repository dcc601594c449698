// Smoke test of `npm run demo`: run as a person runs it (a separate process),
// it shows the three steps and exits 0 with --exit-after; Ctrl-C (SIGINT)
// stops it early; either way nothing it started is left running and its
// temporary directories are gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { processAlive } from '../env/process.ts';
import { until } from '../env/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const demo = join(root, 'scripts/demo.ts');

interface DemoRun {
  readonly pid: number;
  output(): string;
  readonly exited: Promise<number | null>;
}

function startDemo(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoRun {
  const child = spawn(process.execPath, [demo, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { pid: child.pid ?? -1, output: () => out, exited };
}

/** Every pid and directory the demo said it started or made. */
function startedBy(output: string): { pids: number[]; dirs: string[] } {
  const pids = [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  const files = /sandbox files: (\S+) (\S+)/.exec(output);
  const log = /its JSON log: (\S+)\/operator\.log/.exec(output);
  return { pids: [...new Set(pids)], dirs: [files?.[1], files?.[2], log?.[1]].filter((d): d is string => d !== undefined) };
}

/** Live processes in one of these process groups (children of the servers), or watchdogs of the demo process. */
function leftovers(groups: readonly number[], demoPid: number): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !processAlive(Number(entry))) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const watchdog = cmd.includes('mlo-watchdog') && cmd.includes(String(demoPid));
      if (groups.includes(pgrp) || watchdog) found.push(`${entry} ${cmd.join(' ').slice(0, 120)}`);
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  return found;
}

async function assertNothingLeft(run: DemoRun): Promise<void> {
  const output = run.output();
  const { pids, dirs } = startedBy(output);
  assert.ok(pids.length >= 4, `the demo names etcd, kube-apiserver, Milvus Lite and the operator with their pids:\n${output}`);
  assert.equal(dirs.length, 3, `the demo names its directories:\n${output}`);
  await until('every process the demo started to be gone', async () => leftovers(pids, run.pid).length === 0, 15_000).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${leftovers(pids, run.pid).join('; ')}`);
  });
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} is left behind`);
}

/**
 * Takes the operator's default ports (:8080 metrics, :8081 health) as another
 * program on a person's machine may: the demo must not need them. A port
 * something else holds already is as good. Returns the release.
 */
async function takeDefaultPorts(): Promise<() => Promise<void>> {
  const held: Server[] = [];
  for (const port of [8080, 8081]) {
    const s = createServer();
    const took = await new Promise<boolean>((resolve, reject) => {
      s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
      s.listen(port, () => resolve(true));
    });
    if (took) held.push(s);
  }
  return async () => void (await Promise.all(held.map((s) => new Promise((r) => s.close(r)))));
}

describe('npm run demo', { timeout: 900_000 }, () => {
  it('--exit-after: a load, a release and drift corrected, exit 0, nothing left running, with :8080 and :8081 taken', async () => {
    const t0 = Date.now();
    const release = await takeDefaultPorts();
    const run = startDemo(['--exit-after', '90']);
    const code = await run.exited.finally(release);
    const out = run.output();
    assert.equal(code, 0, out);
    assert.match(out, /its metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/, 'the demo says where the operator serves metrics');
    assert.match(out, /✓ load: products and reviews are Loaded in Milvus/);
    assert.match(out, /✓ release: reviews-hot set to Released; the operator released reviews/);
    assert.match(out, /✓ drift: products was released by hand; the operator loaded it again/);
    assert.match(out, /all three steps seen/);
    assert.match(out, /\+ load\s+default\/products\s+demo\/products-hot/, 'the plan preview');
    assert.match(out, /milvus: products=Loaded reviews=Loaded/, 'the table, as plain lines without a terminal');
    assert.doesNotMatch(out, /\u001b\[H/, 'no redrawing without a terminal');
    await assertNothingLeft(run);
    process.stdout.write(`# demo --exit-after 90 took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM'} stops everything it started`, async () => {
      const run = startDemo([]);
      let ended = false;
      void run.exited.then(() => (ended = true));
      await until('the operator to start', async () => {
        if (ended) throw new Error(`the demo exited before the operator started:\n${run.output()}`);
        return run.output().includes('operator started');
      }, 300_000).catch((e: unknown) => {
        throw new Error(ended ? run.output() : (e as Error).message);
      });
      process.kill(run.pid, signal);
      const exit = await run.exited;
      const out = run.output();
      assert.equal(exit, code, out);
      assert.match(out, new RegExp(`${signal}: stopping`));
      assert.match(out, /stopped everything the demo started and removed its files/);
      await assertNothingLeft(run);
    });
  }

  it('--help, a bad flag, and a missing prerequisite say what to do', async () => {
    const help = startDemo(['--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.output(), /--exit-after SECONDS/);
    const bad = startDemo(['--exit-after', 'soon']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.output(), /--exit-after soon: give a number of seconds/);
    const empty = mkdtempSync(join(tmpdir(), 'mlo-demo-cache-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, MLO_CACHE_DIR: empty, MLO_PYTHON: join(empty, 'no-python3') };
      delete env.KUBEBUILDER_ASSETS;
      const missing = startDemo([], env);
      assert.equal(await missing.exited, 1);
      assert.match(missing.output(), /missing what the demo needs\. Install:\n {2}- Python >= 3\.10 with venv/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
