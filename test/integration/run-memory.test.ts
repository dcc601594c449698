// `milvus-load-operator run` (and `plan`) must not load @kubernetes/client-node
// when our own credential loader suffices (src/kube/kubeconfig.ts): its import
// alone costs tens of MiB of RSS (ADR 0009). Checked on the module graph the real entry point
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
    const out = join(tmp.path, `${args.join('-').replace(/[^\w.-]/g, '_')}.json`);
    await promisify(execFile)(process.execPath, ['--import', hooks, `${root}src/main.ts`, ...args], { cwd: root, env: { ...process.env, MLO_MODULES_OUT: out } });
    return JSON.parse(await readFile(out, 'utf8')) as string[];
  };

  it('run (here: run --help, same imports) loads the Milvus SDK but not @kubernetes/client-node', async () => {
    const mods = await modulesFor(['run', '--help']);
    assert.ok(mods.some((u) => u.includes('milvus2-sdk-node')), 'sanity: the list has the Milvus SDK');
    assert.deepEqual(mods.filter((u) => u.includes('@kubernetes/client-node')), []);
  });

  // plan reads the kubeconfig with the same loader (src/kube/kubeconfig.ts).
  const kubeconfig = async (name: string, user: string): Promise<string> => {
    const path = join(tmp.path, name);
    await writeFile(path, `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]\nusers: [{ name: u, user: ${user} }]\n`);
    return path;
  };
  const planArgs = async (kc: string): Promise<string[]> => {
    const empty = join(tmp.path, 'empty.yaml');
    await writeFile(empty, '');
    return ['plan', '-f', empty, '--kubeconfig', kc];
  };

  it('plan with a token kubeconfig does not load it either', async () => {
    const mods = await modulesFor(await planArgs(await kubeconfig('token.yaml', '{ token: t }')));
    assert.ok(mods.some((u) => u.includes('/src/cli/plan/')), 'sanity: plan ran');
    assert.deepEqual(mods.filter((u) => u.includes('@kubernetes/client-node')), []);
  });

  it('an exec-plugin kubeconfig does load it (so the checks above can tell)', async () => {
    const mods = await modulesFor(await planArgs(await kubeconfig('exec.yaml', '{ exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/false } }')));
    assert.ok(mods.some((u) => u.includes('@kubernetes/client-node')));
  });
});
