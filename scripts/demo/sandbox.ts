// The demo's sandbox: a real kube-apiserver + etcd and Milvus Lite, both from
// the test harness (test/env), sample collections with rows and an index,
// the CRDs, and the demo manifests pointed at this Milvus.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../../test/env/kube.ts';
import { startMilvusLite, type MilvusServer } from '../../test/env/milvus.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFESTS = fileURLToPath(new URL('./manifests/', import.meta.url));
/** The Milvus URI the manifests are written with; replaced by the sandbox's. */
const PLACEHOLDER_URI = 'http://127.0.0.1:19530';

export const NAMESPACE = 'demo';
/** Sample collections: name and rows. `scratch` is selected by no policy: the operator never touches it. */
export const COLLECTIONS: readonly { name: string; rows: number }[] = [
  { name: 'products', rows: 2000 },
  { name: 'reviews', rows: 1500 },
  { name: 'logs_2025_12', rows: 500 },
  { name: 'scratch', rows: 100 },
];
const DIM = 32;

export interface Sandbox {
  readonly kube: KubeEnv;
  readonly milvus: MilvusServer;
  /** A client of our own, separate from the operator's: the table reads Milvus with it, and step 3 releases behind the operator's back. */
  readonly observer: MilvusClient;
  stop(): Promise<void>;
}

/** Starts both servers at once; if one fails, stops the other. */
export async function startSandbox(say: (line: string) => void): Promise<Sandbox> {
  const [kube, milvus] = await Promise.allSettled([startKube(), startMilvusLite()]);
  if (kube.status === 'rejected' || milvus.status === 'rejected') {
    if (kube.status === 'fulfilled') await kube.value.stop();
    if (milvus.status === 'fulfilled') await milvus.value.dispose();
    const why = kube.status === 'rejected' ? `kube-apiserver/etcd: ${(kube.reason as Error).message}` : '';
    const why2 = milvus.status === 'rejected' ? `Milvus Lite: ${(milvus.reason as Error).message}` : '';
    throw new Error(`the sandbox did not start. ${[why, why2].filter(Boolean).join('; ')}`);
  }
  const { etcd, apiserver } = kube.value.processes();
  say(`sandbox up: kube-apiserver ${kube.value.server} (pid ${apiserver.pid}), etcd (pid ${etcd.pid}), Milvus Lite ${milvus.value.uri} (pid ${milvus.value.pid()})`);
  say(`sandbox files: ${kube.value.dir} ${milvus.value.dataDir}`);
  // Keepalive pings only during calls, as the operator's client (src/milvus/sdk-adapter.ts): Milvus Lite refuses idle pings every 10 s.
  const observer = new MilvusClient({ address: milvus.value.address, telemetry: { enabled: false }, logLevel: 'error', channelOptions: { 'grpc.keepalive_permit_without_calls': 0 } });
  const sandbox: Sandbox = {
    kube: kube.value,
    milvus: milvus.value,
    observer,
    async stop() {
      await observer.closeConnection().catch(() => undefined);
      await Promise.all([milvus.value.dispose(), kube.value.stop()]);
    },
  };
  return sandbox;
}

export async function createCollections(observer: MilvusClient): Promise<void> {
  for (const { name, rows } of COLLECTIONS) {
    await observer.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
      ],
    });
    const data = Array.from({ length: rows }, (_, i) => ({ id: i, vec: Array.from({ length: DIM }, (_v, d) => Math.sin(i + d)) }));
    await observer.insert({ collection_name: name, data });
    await observer.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
    // Milvus Lite loads a collection when its index is created; start from "nothing loaded" (scratch stays loaded: no policy selects it).
    if (name !== 'scratch') await observer.releaseCollection({ collection_name: name });
  }
}

/** The demo manifests, with the sandbox's Milvus URI, as one multi-document YAML. */
export async function demoManifests(milvusUri: string): Promise<string> {
  const files = (await readdir(MANIFESTS)).filter((f) => f.endsWith('.yaml')).sort();
  const docs = await Promise.all(files.map((f) => readFile(join(MANIFESTS, f), 'utf8')));
  return docs.map((d) => d.replaceAll(PLACEHOLDER_URI, milvusUri)).join('\n---\n');
}

export async function kubectlOk(kube: KubeEnv, args: readonly string[], input?: string): Promise<string> {
  const r = await kube.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function installCrdsAndManifests(kube: KubeEnv, milvusUri: string): Promise<string> {
  await kubectlOk(kube, ['apply', '-f', join(ROOT, 'crds')]);
  await kubectlOk(kube, ['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
  const yaml = await demoManifests(milvusUri);
  await kubectlOk(kube, ['apply', '-f', '-'], yaml);
  return yaml;
}
