// Temporary directories of dead test processes do not pile up in /tmp.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from './temp-dir.ts';

const moduleUrl = new URL('./temp-dir.ts', import.meta.url).href;

describe('temporary directories', { timeout: 30_000 }, () => {
  it('remove() removes the directory and is safe to call twice', async () => {
    const d = await makeTempDir(`mlo-tempdir-test-${process.pid}-`);
    assert.ok(existsSync(d.path));
    await Promise.all([d.remove(), d.remove()]);
    assert.equal(existsSync(d.path), false);
  });

  it("a SIGKILLed process's directory is swept by the next one; live owners' and unowned ones are kept", async () => {
    const prefix = `mlo-tempdir-test-${process.pid}-`;
    const script = `import { makeTempDir } from ${JSON.stringify(moduleUrl)};
const d = await makeTempDir(${JSON.stringify(prefix)});
console.log(d.path);
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const orphan = line.toString().trim();
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(existsSync(orphan), 'no exit hook runs on SIGKILL');

    const unowned = join(tmpdir(), `${prefix}unowned`);
    await mkdir(unowned, { recursive: true });
    const live = await makeTempDir(prefix);
    const next = await makeTempDir(prefix);
    try {
      assert.equal(existsSync(orphan), false, `${orphan} of a dead process is swept`);
      assert.ok(existsSync(live.path), 'a live owner keeps its directory');
      assert.ok(existsSync(unowned), 'a directory without an owner is left alone');
    } finally {
      await Promise.all([live.remove(), next.remove(), rm(unowned, { recursive: true, force: true })]);
    }
  });
});
