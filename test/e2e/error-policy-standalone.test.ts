// The error policy on a real server: Milvus standalone 2.3.5 refuses to load
// a collection without an index (a terminal failure). The operator must not
// send that load again at the poll rate: it reports Stalled, waits for a
// change, and loads at once when the retry annotation gets a new value.
// Calls are counted from the operator's own /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { RETRY_ANNOTATION } from '../../src/api/constants.ts';
import type { KubeEnv } from '../env/kube.ts';
import { startKube } from '../env/kube.ts';
import { standaloneUnavailableReason, startMilvusStandalone, type MilvusServer } from '../env/milvus.ts';
import { until } from '../env/wait.ts';
import { scrapeMetrics, total } from '../env/operator-metrics.ts';
import { installCrds, startOperator, type OperatorProcess } from '../reliability/support.ts';

const NS = 'search';

describe('error policy on Milvus standalone: a missing index', { timeout: 600_000, skip: standaloneUnavailableReason() }, () => {
  let kube: KubeEnv;
  let milvus: MilvusServer;
  let observer: MilvusClient;
  let op: OperatorProcess;
  const calls = async (method: string, outcome?: string): Promise<number> => {
    assert.ok(op.metricsUrl, 'the operator serves no metrics');
    return total(await scrapeMetrics(op.metricsUrl), 'milvus_load_operator_milvus_requests_total', { method, ...(outcome ? { outcome } : {}) });
  };
  const status = async (): Promise<{ conditions: Record<string, { status: string; reason: string }>; c: Record<string, unknown> | undefined }> => {
    const r = await kube.kubectl(['get', 'clp', 'vectors', '-n', NS, '-o', 'json']);
    const o = JSON.parse(r.stdout || '{}') as { status?: { conditions?: { type: string; status: string; reason: string }[]; collections?: Record<string, unknown>[] } };
    return { conditions: Object.fromEntries((o.status?.conditions ?? []).map((c) => [c.type, c])), c: o.status?.collections?.[0] };
  };

  before(async () => {
    milvus = await startMilvusStandalone();
    kube = await startKube();
    observer = new MilvusClient({ address: milvus.address, telemetry: { enabled: false } });
    await observer.createCollection({ collection_name: 'vectors', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
    await observer.insert({ collection_name: 'vectors', data: Array.from({ length: 100 }, (_, i) => ({ id: i, vec: Array(8).fill(i / 100) })) });
    await observer.flushSync({ collection_names: ['vectors'] });
    await installCrds(kube, [NS]);
    op = await startOperator(kube, { resync: '2s' });
  });

  after(async () => {
    await op?.proc.stop();
    await observer?.closeConnection();
    await kube?.stop();
    await milvus?.dispose();
  });

  it('refuses once, reports Stalled, and does not send the load again on later passes', async () => {
    const r = await kube.kubectl(['apply', '-f', '-'], { input: `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: vectors, namespace: ${NS} }\nspec:\n  milvus: { uri: "${milvus.uri}" }\n  selector: { names: [vectors] }\n` });
    assert.equal(r.code, 0, r.stderr);
    await until('Stalled with IndexNotFound', async () => (await status()).conditions.Stalled?.status === 'True', 60_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${op.tail(30)}`);
    });
    const s = await status();
    assert.equal(s.conditions.Stalled?.reason, 'IndexNotFound');
    assert.equal(s.conditions.Progressing?.status, 'False', 'nothing is in flight');
    assert.equal(s.c?.state, 'Failed');
    assert.equal(s.c?.retries, 1);
    assert.equal((s.c?.lastError as { class?: string } | undefined)?.class, 'Terminal');
    assert.ok(s.c?.nextAttemptTime, 'says when it looks again');
    const loads = await calls('load');
    assert.equal(loads, 1, 'one LoadCollection so far');
    // Passes go on at the resync rate (2 s here): wait for five more of them, then count again.
    const listed = await calls('listCollections');
    await until('five more passes', async () => (await calls('listCollections')) >= listed + 5, 60_000);
    assert.equal(await calls('load'), loads, 'the refused load was not sent again before its recheck');
  });

  it('a new retry annotation value loads at once once the index exists', async () => {
    await observer.createIndex({ collection_name: 'vectors', field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    const before = await calls('load');
    const a = await kube.kubectl(['annotate', 'clp', 'vectors', '-n', NS, `${RETRY_ANNOTATION}=after-index`]);
    assert.equal(a.code, 0, a.stderr);
    await until('Ready', async () => (await status()).conditions.Ready?.status === 'True', 120_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${op.tail(30)}`);
    });
    assert.equal(await calls('load', 'ok'), 1, 'one accepted load');
    assert.equal(await calls('load'), before + 1);
    const s = await status();
    assert.equal(s.conditions.Stalled?.status, 'False');
    assert.equal(s.c?.lastError, undefined, 'the error is cleared once loaded');
    assert.equal(String((await observer.getLoadState({ collection_name: 'vectors' })).state), 'LoadStateLoaded');
  });
});
