// `milvus-load-operator plan` against real Milvus Lite: the lines a user sees
// for load, release and nothing, and Milvus exactly as it was afterwards
// (every collection's load state, read by a separate client).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { PlanReport } from '../../src/cli/plan.ts';
import { startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import { cli } from '../integration/run-cli.ts';

const COLLECTIONS = ['products', 'reviews', 'logs_old', 'logs_new', 'untouched'];

describe('plan against Milvus Lite', { timeout: 300_000 }, () => {
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const states = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const name of COLLECTIONS) out[name] = String((await observer.getLoadState({ collection_name: name })).state);
    return out;
  };

  before(async () => {
    milvus = await startMilvusLite();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    for (const name of COLLECTIONS) {
      await observer.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await observer.insert({ collection_name: name, data: Array.from({ length: 20 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 20) })) });
      await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      // Milvus Lite loads on index creation: release all but the ones that start loaded.
      if (name !== 'reviews' && name !== 'logs_old') await observer.releaseCollection({ collection_name: name });
    }
    dir = await mkdtemp(join(tmpdir(), 'mlo-plan-lite-'));
    env = { ...process.env, KUBECONFIG: '', HOME: dir, MLO_MILVUS_TOKEN: '' };
    const p = (name: string, spec: string): string =>
      `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: search }\nspec:\n  milvus: { uri: "${milvus.uri}" }\n${spec}---\n`;
    await writeFile(
      join(dir, 'policies.yaml'),
      p('products', '  selector: { names: [products] }\n') + p('reviews', '  selector: { names: [reviews] }\n') + p('old-logs', '  selector: { patterns: ["logs_*"] }\n  state: Released\n'),
    );
  });

  after(async () => {
    await observer?.closeConnection();
    await milvus?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows + load, - release and (with -v) = nothing; every load state is unchanged afterwards', async () => {
    const before = await states();
    assert.deepEqual(before, {
      products: 'LoadStateNotLoad',
      reviews: 'LoadStateLoaded',
      logs_old: 'LoadStateLoaded',
      logs_new: 'LoadStateNotLoad',
      untouched: 'LoadStateNotLoad',
    });
    const r = await cli(['plan', '-f', join(dir, 'policies.yaml'), '-v', '--detailed-exitcode'], env);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ {2}\+ load\s+default\/products\s+search\/products\s+Declared: load requested$/m);
    assert.match(r.stdout, /^ {2}- release\s+default\/logs_old\s+search\/old-logs\s+Declared: released$/m);
    assert.match(r.stdout, /^ {2}= nothing\s+default\/reviews\s+search\/reviews\s+Loaded: loaded$/m);
    assert.match(r.stdout, /^ {2}= nothing\s+default\/logs_new\s+search\/old-logs\s+Released: released$/m);
    assert.doesNotMatch(r.stdout, /untouched/, 'a collection no policy selects is not mentioned');
    assert.match(r.stdout, /^Plan: 1 to load, 1 to release, 0 deferred, 0 conflicts\.$/m);
    assert.deepEqual(await states(), before, 'plan changed a load state in Milvus');
  });

  it('-o json carries the same plan', async () => {
    const before = await states();
    const r = await cli(['plan', '-f', join(dir, 'policies.yaml'), '-o', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as PlanReport;
    const ops = report.instances.flatMap((i) => i.changes).map((c) => `${c.op} ${c.collection}`).sort();
    assert.deepEqual(ops, ['load products', 'nothing logs_new', 'nothing reviews', 'release logs_old']);
    assert.deepEqual(await states(), before);
  });
});
