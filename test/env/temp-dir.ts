// Temporary directories for test servers that do not pile up. stop() removes
// one, the exit hook removes it when the test process dies of an error or
// SIGINT/SIGTERM, and a SIGKILLed process (no hook runs) leaves it to the next
// makeTempDir with the same prefix: each directory records its owner, and
// those of dead owners are swept first. etcd alone preallocates 64 MB of WAL,
// so on a reused CI machine this matters.
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './process.ts';

const OWNER_FILE = '.mlo-owner';

export interface TempDir {
  readonly path: string;
  /** Removes the directory now (and no longer on exit). Safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Who a process is, beyond its pid (pids are reused): its pid namespace, pid
 * and start time in clock ticks since boot. Undefined when it is gone or a
 * zombie.
 */
function identity(pid: number | 'self'): string | undefined {
  try {
    const ns = readlinkSync(`/proc/${pid}/ns/pid`);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is the first field, starttime the 20th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return `${ns} ${pid === 'self' ? process.pid : pid} ${fields[19]}`;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
}

/** True only when the owner is certainly dead: it ran in our pid namespace and its pid is gone or now another process. */
function ownerIsDead(owner: string): boolean {
  const [ns, pid] = owner.split(' ');
  if (ns !== identity('self')?.split(' ')[0] || !/^\d+$/.test(pid ?? '')) return false;
  return identity(Number(pid)) !== owner;
}

async function sweep(prefix: string): Promise<void> {
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(tmpdir(), entry);
    let owner: string;
    try {
      owner = (await readFile(join(dir, OWNER_FILE), 'utf8')).trim();
    } catch (e: unknown) {
      // No owner file: not ours, kept on purpose, or being made right now.
      if (['ENOENT', 'ENOTDIR', 'EACCES'].includes((e as NodeJS.ErrnoException).code ?? '')) continue;
      throw e;
    }
    if (ownerIsDead(owner)) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** A new directory `<tmpdir>/<prefix>XXXXXX`, removed by `remove()`, on exit, or by a later run once we are dead. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  await sweep(prefix);
  const path = await mkdtemp(join(tmpdir(), prefix));
  const me = identity('self');
  if (me !== undefined) await writeFile(join(path, OWNER_FILE), `${me}\n`);
  const forget = removeOnExit(path);
  let removed: Promise<void> | undefined;
  return {
    path,
    remove(): Promise<void> {
      removed ??= rm(path, { recursive: true, force: true, maxRetries: 3 }).then(forget);
      return removed;
    },
  };
}
