// plan reads the kubeconfig with the operator's own loader (src/kube/kubeconfig.ts);
// these check what plan makes of it: its words for a missing or broken file,
// no cluster at all, and the context namespace as the default namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MilvusPort } from '../../milvus/port.ts';
import { T0 } from '../../planner/testkit.ts';
import { UsageError } from '../flags.ts';
import { planCommand } from './command.ts';
import { findCluster } from './inputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'mlo-plan-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const kubeconfig = (name: string, context: string): string =>
  file(
    name,
    `apiVersion: v1
kind: Config
current-context: ctx
contexts:
- { name: ctx, context: { cluster: c, user: u${context} } }
clusters:
- { name: c, cluster: { server: 'https://127.0.0.1:1' } }
users:
- { name: u, user: { token: t } }
`,
  );

describe('plan: the kubeconfig', () => {
  it('none at all is no cluster (plan then works from -f only)', async () => {
    assert.equal(await findCluster(undefined, { HOME: dir }), undefined);
  });

  it('a missing --kubeconfig is a usage error; a broken one says which file', async () => {
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(findCluster(missing, {}), (e: unknown) => e instanceof UsageError && e.message === `--kubeconfig ${missing}: no such file`);
    const broken = file('broken.yaml', '- a list\n');
    await assert.rejects(findCluster(broken, {}), (e: unknown) => !(e instanceof UsageError) && /^cannot read the kubeconfig .*broken\.yaml: .*is not a kubeconfig/.test((e as Error).message));
    await assert.rejects(findCluster(undefined, { KUBECONFIG: missing }), /^Error: cannot read the kubeconfig: kubeconfig .*missing\.yaml does not exist/);
  });

  it('gives the server and the context namespace', async () => {
    const c = await findCluster(kubeconfig('ns.yaml', ', namespace: search'), {});
    assert.deepEqual([c?.auth.getCurrentCluster()?.server, c?.namespace], ['https://127.0.0.1:1', 'search']);
  });

  it('a manifest without a namespace lands in the context namespace, else in default', async () => {
    const manifest = file('policy.yaml', `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: p }
spec:
  milvus: { uri: "http://127.0.0.1:1" }
  selector: { names: [c1] }
`);
    const milvus: MilvusPort = {
      listCollections: async () => [{ name: 'c1', loadedPercent: 0 }],
      listLoaded: async () => [],
      loadProgress: async () => 0,
      listPartitions: async () => [],
      describe: async () => ({ id: '1', bytesPerRow: 100 }),
      rowCount: async () => 10,
      segmentMemory: async () => undefined,
      replicas: async () => undefined,
      load: async () => assert.fail('plan never loads'),
      release: async () => assert.fail('plan never releases'),
      close: async () => undefined,
    };
    const deps = { portFactory: () => milvus, now: () => T0, env: { HOME: dir }, isTTY: false, stdin: () => assert.fail('no stdin') };
    const policyOf = async (args: string[]): Promise<string> => {
      const r = await planCommand(['-f', manifest, '-o', 'json', ...args], deps);
      assert.equal(r.code, 0, r.out);
      return (JSON.parse(r.out) as { instances: { changes: { policy: string }[] }[] }).instances[0]?.changes[0]?.policy ?? '';
    };
    assert.equal(await policyOf(['--kubeconfig', kubeconfig('ctx-ns.yaml', ', namespace: search')]), 'search/p');
    assert.equal(await policyOf(['--kubeconfig', kubeconfig('ctx-none.yaml', '')]), 'default/p');
    assert.equal(await policyOf([]), 'default/p');
  });
});
