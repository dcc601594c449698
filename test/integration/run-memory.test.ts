// `milvus-load-operator run` must not load @kubernetes/client-node when our
// own credential loader suffices (src/kube/kubeconfig.ts): its import alone
// costs ~85 MiB of RSS. Checked on the module graph the real entry point
// loads, not on a memory figure (memory is measured by `npm run bench`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, type TempDir } from '../env/temp-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Records every module URL resolved, and writes them to $MLO_MODULES_OUT at exit.
const HOOKS = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
process.on('exit', () => writeFileSync(process.env.MLO_MODULES_OUT, JSON.stringify(seen)));
`;

describe('what the entry point loads', () => {
  let tmp: TempDir;
  let hooks: string;
  before(async () => {
    tmp = await makeTempDir('mlo-modules-');
    hooks = join(tmp.path, 'hooks.mjs');
    await writeFile(hooks, HOOKS);
  });
  after(async () => tmp?.remove());

  const modulesFor = async (args: string[]): Promise<string[]> => {
    const out = join(tmp.path, `${args.join('-')}.json`);
    await promisify(execFile)(process.execPath, ['--import', hooks, `${root}src/main.ts`, ...args], { cwd: root, env: { ...process.env, MLO_MODULES_OUT: out } });
    return JSON.parse(await readFile(out, 'utf8')) as string[];
  };

  it('run (here: run --help, same imports) loads the Milvus SDK but not @kubernetes/client-node', async () => {
    const mods = await modulesFor(['run', '--help']);
    assert.ok(mods.some((u) => u.includes('milvus2-sdk-node')), 'sanity: the list has the Milvus SDK');
    assert.deepEqual(mods.filter((u) => u.includes('@kubernetes/client-node')), []);
  });

  it('plan does load it (so the check above can tell)', async () => {
    const mods = await modulesFor(['plan', '--help']);
    assert.ok(mods.some((u) => u.includes('@kubernetes/client-node')));
  });
});
