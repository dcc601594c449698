// The harness must not leave servers running, even when the test process is
// SIGKILLed and its exit hook never runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processAlive, spawnManaged } from './process.ts';
import { until } from './wait.ts';

const processUrl = new URL('./process.ts', import.meta.url).href;

/** Waits until the process is gone; false when it is still there after a generous deadline. */
async function gone(pid: number): Promise<boolean> {
  return until(`pid ${pid} gone`, async () => !processAlive(pid), 20_000, 50).then(
    () => true,
    () => false,
  );
}

describe('managed processes', { timeout: 120_000 }, () => {
  it('stop() ends the process group and is safe to call twice', async () => {
    const p = spawnManaged('sleeper', 'sh', ['-c', 'sleep 300 & sleep 300; wait']);
    assert.ok(p.isRunning());
    await p.stop(2000);
    await p.stop(2000);
    assert.equal(p.isRunning(), false);
    assert.ok(await gone(p.pid));
  });

  it('a SIGKILLed test process does not leave its servers behind', async () => {
    const script = `import { spawnManaged } from ${JSON.stringify(processUrl)};
const p = spawnManaged('sleeper', 'sleep', ['300']);
console.log(p.pid);
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    assert.ok(pid > 0 && processAlive(pid), `the child printed ${line.toString()}`);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    assert.ok(await gone(pid), `sleep (pid ${pid}) outlived its SIGKILLed parent`);
  });

  it('a SIGTERMed test process kills its servers, removes their directories and exits 143', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlo-process-test-'));
    const script = `import { removeOnExit, spawnManaged } from ${JSON.stringify(processUrl)};
removeOnExit(${JSON.stringify(dir)});
const p = spawnManaged('sleeper', 'sleep', ['300']);
console.log(p.pid);
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    assert.ok(pid > 0 && processAlive(pid), `the child printed ${line.toString()}`);
    parent.kill('SIGTERM');
    const [code] = (await once(parent, 'exit')) as [number | null];
    assert.equal(code, 143);
    assert.ok(await gone(pid), `sleep (pid ${pid}) outlived its SIGTERMed parent`);
    assert.equal(existsSync(dir), false, `${dir} is removed`);
  });
});
