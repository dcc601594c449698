// `node test/env/measure.ts`: start times and peak memory (VmHWM) of each
// test server after a small workload; the figures in docs/test-environment.md.
import { fileURLToPath } from 'node:url';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube } from './kube.ts';
import { startMilvusLite, startMilvusStandalone, type MilvusServer } from './milvus.ts';
import { groupPeakRss, peakRss } from './process.ts';

const mib = (b: number | undefined): string => (b === undefined ? '?' : `${Math.round(b / 2 ** 20)} MiB`);
const root = fileURLToPath(new URL('../../', import.meta.url));

async function workload(s: MilvusServer): Promise<void> {
  const c = new MilvusClient({ address: s.address, telemetry: { enabled: false } });
  for (let i = 0; i < 5; i++) {
    await c.createCollection({ collection_name: `m${i}`, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 64 }] });
    await c.insert({ collection_name: `m${i}`, data: Array.from({ length: 2000 }, (_, j) => ({ id: j, vec: Array(64).fill(j / 2000) })) });
    await c.createIndex({ collection_name: `m${i}`, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    await c.loadCollection({ collection_name: `m${i}` });
  }
  await c.closeConnection();
}

let t = Date.now();
const kube = await startKube();
console.log(`kube-apiserver + etcd: started in ${Date.now() - t} ms`);
await kube.kubectl(['apply', '-f', `${root}crds/`]);
for (let i = 0; i < 50; i++) await kube.kubectl(['create', 'configmap', `m${i}`, '--from-literal=a=b']);
const { etcd, apiserver } = kube.processes();
console.log(`  peak RSS: etcd ${mib(await peakRss(etcd.pid))}, kube-apiserver ${mib(await peakRss(apiserver.pid))}`);
await kube.stop();

for (const [name, start] of [['Milvus Lite', startMilvusLite], ['Milvus standalone', startMilvusStandalone]] as const) {
  t = Date.now();
  const s = await start();
  console.log(`${name}: started in ${Date.now() - t} ms`);
  await workload(s);
  console.log(`  peak RSS after loading 5 x 2,000 x 64-dim: ${mib(await groupPeakRss(s.pid()))} (all processes of the server)`);
  await s.dispose();
}
