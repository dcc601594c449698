// Child processes the harness starts: each in its own process group, with the
// tail of its output kept for error messages, stopped SIGTERM-then-SIGKILL,
// and killed when the test process exits so nothing is left running (the
// temporary directories registered with removeOnExit go too). An exit
// hook cannot run when the test process is SIGKILLed (a CI timeout, the OOM
// killer), so each child also gets a watchdog that outlives us by a second.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { constants } from 'node:os';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  isRunning(): boolean;
  /** Last lines of stdout+stderr. */
  tail(lines?: number): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the group at once. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
    for (const dir of dirs) {
      try {
        // Retries: a server SIGKILLed a moment ago may still be writing there.
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      } catch (e: unknown) {
        process.stderr.write(`test env: could not remove ${dir} on exit: ${(e as Error).message}; remove it by hand\n`);
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // Handlers replace Node's default "die at once", so exit ourselves, with
    // the status a shell reports for that signal (130, 143).
    process.once(sig, () => process.exit(128 + constants.signals[sig]));
  }
}

/**
 * Removes `dir` when this process exits (normally, or on SIGINT/SIGTERM),
 * after the children have been killed: a crashed test run leaves no
 * temporary directories behind. The returned function unregisters it, for
 * when the owner has removed it itself.
 */
export function removeOnExit(dir: string): () => void {
  hookExit();
  dirs.add(dir);
  return () => {
    dirs.delete(dir);
  };
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also append all output to this file. */
  logFile?: string;
  /**
   * Outlive this process (the sandbox): output goes only to `logFile`, the
   * child is not killed when we exit, and `tail()` reads nothing.
   */
  persistent?: boolean;
}

// The watchdog is a detached shell: while we live and the child's group
// exists it sleeps; when we are gone (or a zombie that init has not collected
// yet) it SIGKILLs the group. It exits by itself once the group is gone, so a
// normal stop leaves nothing behind either.
const WATCHDOG = [
  'while kill -0 "$1" 2>/dev/null; do',
  '  s=; { read -r s < /proc/"$1"/stat; } 2>/dev/null; case "$s" in *") Z "*) break;; esac',
  '  kill -0 -"$2" 2>/dev/null || exit 0; sleep 1',
  'done; kill -9 -"$2" 2>/dev/null',
].join('\n');

function watch(name: string, pgid: number): void {
  const dog = spawn('sh', ['-c', WATCHDOG, 'mlo-watchdog', String(process.pid), String(pgid)], { detached: true, stdio: 'ignore' });
  dog.on('error', (err) => {
    process.stderr.write(`test env: no watchdog for ${name} (pid ${pgid}): ${err.message}; if this process is SIGKILLed, kill it by hand\n`);
  });
  dog.unref();
}

// Operators started by tests listen on free ports, not on the production
// defaults (:8080, :8081): tests run in parallel, and a second operator on
// the same port would fail to start. A test that wants fixed ports passes
// the flags (or sets these variables) itself.
const OPERATOR_TEST_ENV: Readonly<Record<string, string>> = { MLO_METRICS_BIND_ADDRESS: '127.0.0.1:0', MLO_HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0' };

export function spawnManaged(name: string, command: string, args: readonly string[], opts: SpawnOptions = {}): ManagedProcess {
  hookExit();
  let fd: number | undefined;
  if (opts.persistent) fd = openSync(opts.logFile ?? '/dev/null', 'a');
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...OPERATOR_TEST_ENV, ...(opts.env ?? process.env) }, detached: true, stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd] });
  if (fd !== undefined) {
    closeSync(fd);
    child.unref();
  } else {
    live.add(child);
    if (child.pid !== undefined) watch(name, child.pid);
  }
  const ring: string[] = [];
  let log: WriteStream | undefined;
  if (opts.logFile && !opts.persistent) log = createWriteStream(opts.logFile, { flags: 'a' });
  const onData = (chunk: Buffer): void => {
    log?.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      ring.push(line);
      if (ring.length > 200) ring.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running = false;
      live.delete(child);
      log?.end();
      resolve(code);
    });
    child.on('error', (err) => {
      ring.push(`spawn error: ${err.message}`);
      running = false;
      live.delete(child);
      resolve(-1);
    });
  });
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (!running) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Grandchildren in the group may outlive the leader; make sure they go too.
    killGroup(child, 'SIGKILL');
  };
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    isRunning: () => running,
    tail: (lines = 20) => ring.slice(-lines).join('\n'),
    stop,
    kill: async () => {
      if (!running) return;
      killGroup(child, 'SIGKILL');
      await exited;
    },
  };
}

/** Polls `ready` until it returns true, the deadline passes, or the process dies (then the error carries its output). */
export async function waitUntilReady(proc: ManagedProcess, what: string, ready: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.isRunning()) throw new Error(`${proc.name} exited before ${what} was ready; its last output:\n${proc.tail()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.stop(2000);
      throw new Error(`${what} was not ready after ${timeoutMs} ms; ${proc.name}'s last output:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Whether `pid` is a live process. A zombie counts as gone: it has exited and
 * only waits for its parent (or, orphaned, for init, which on some VMs takes
 * seconds) to collect it, yet `kill(pid, 0)` still succeeds on it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Peak resident memory of a process in bytes (VmHWM), or undefined when it is gone. */
export async function peakRss(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Peak resident memory summed over a process group (a launcher and the server it runs). */
export async function groupPeakRss(pgid: number): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) total += (await peakRss(Number(entry))) ?? 0;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return total;
}
