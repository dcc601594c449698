// The SDK adapter against the real servers and the simulator: typed results,
// and every failure classified (retryable / terminal / notFound).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MilvusError } from '../../src/milvus/errors.ts';
import type { MilvusPort } from '../../src/milvus/port.ts';
import { createSdkPort } from '../../src/milvus/sdk-adapter.ts';
import type { Credentials } from '../milvus-contract/sdk.ts';
import { MILVUS_ROOT, startMilvusLite, startMilvusStandalone, standaloneUnavailableReason } from '../env/milvus.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

async function seed(address: string, name: string, opts: { credentials?: Credentials; index?: boolean } = {}): Promise<void> {
  const c = new MilvusClient({ address, ...opts.credentials, telemetry: { enabled: false } });
  await c.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 16 }] });
  await c.insert({ collection_name: name, data: Array.from({ length: 100 }, (_, i) => ({ id: i, vec: Array(16).fill(i / 100) })) });
  await c.flushSync({ collection_names: [name] });
  if (opts.index ?? true) await c.createIndex({ collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
  await c.releaseCollection({ collection_name: name });
  await c.closeConnection();
}

async function rejectsWith(p: Promise<unknown>, reason: string, kind: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MilvusError, `not a MilvusError: ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    assert.equal(e.kind, kind);
    return true;
  });
}

async function waitLoaded(port: MilvusPort, name: string): Promise<void> {
  await until(`${name} loaded`, async () => (await port.loadProgress('default', name)) === 100, 60_000, 50);
}

interface RealServer {
  readonly address: string;
  readonly credentials?: Credentials;
  /** Stop the server (the dead-server test); dispose still cleans up after it. */
  down(): Promise<void>;
  dispose(): Promise<void>;
}

interface RealBackend {
  readonly name: string;
  start(): Promise<RealServer>;
  /** Why the whole tier cannot run here. */
  readonly skip: string | undefined;
  /** A string: why the backend cannot show it (the skip reason). */
  readonly missingIndex: true | string;
  readonly auth: true | string;
}

const backends: RealBackend[] = [
  {
    name: 'Milvus Lite',
    start: async () => {
      const s = await startMilvusLite();
      return { address: s.address, down: () => s.stop(), dispose: () => s.dispose() };
    },
    skip: undefined,
    missingIndex: 'Milvus Lite loads a collection that has no index',
    auth: 'Milvus Lite has no authentication',
  },
  {
    name: 'Milvus standalone',
    start: async () => {
      // Authentication on, so that wrong credentials meet the real server's refusal.
      const s = await startMilvusStandalone({ auth: true });
      return { address: s.address, credentials: { ...MILVUS_ROOT }, down: () => s.stop(), dispose: () => s.dispose() };
    },
    skip: standaloneUnavailableReason(),
    missingIndex: true,
    auth: true,
  },
];

for (const backend of backends) {
  describe(`SDK adapter on ${backend.name}`, { timeout: 300_000, skip: backend.skip }, () => {
    let server: RealServer;
    let port: MilvusPort;
    const load = (collection: string): Promise<unknown> => port.load({ database: 'default', collection, replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
    before(async () => {
      server = await backend.start();
      await seed(server.address, 'a1', { credentials: server.credentials });
      port = createSdkPort({ address: server.address, tls: false, timeoutMs: 10_000, ...server.credentials });
    });
    after(async () => {
      await port?.close();
      await server?.dispose();
    });

    it('lists, loads, follows progress, describes and releases', async () => {
      assert.ok((await port.listCollections('default')).some((c) => c.name === 'a1'));
      const notLoaded = (await port.listLoaded('default')).filter((c) => (c.loadedPercent ?? 0) > 0);
      assert.deepEqual(notLoaded, [], 'nothing is loaded yet (Milvus Lite lists every collection, at 0%)');
      await port.load({ database: 'default', collection: 'a1', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
      await waitLoaded(port, 'a1');
      const loaded = await port.listLoaded('default');
      assert.deepEqual(loaded.map((c) => [c.name, c.loadedPercent]), [['a1', 100]]);
      const d = await port.describe('default', 'a1');
      assert.equal(d.bytesPerRow, 8 + 16 * 4);
      assert.equal(await port.rowCount('default', 'a1'), 100);
      // Lite does not implement GetQuerySegmentInfo; 2.3.5 reports mem_size 0: "unknown" on both, never 0 bytes, never a throw.
      assert.equal(await port.segmentMemory('default', 'a1'), undefined);
      await port.release({ database: 'default', collection: 'a1' });
      assert.deepEqual((await port.listLoaded('default')).filter((c) => (c.loadedPercent ?? 0) > 0), []);
    });

    it('a load priority is not sent to a server before 2.6: the load still works and says why', async () => {
      const accepted = await port.load({ database: 'default', collection: 'a1', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false, priority: 'High' });
      assert.ok(accepted.priorityIgnoredBy, 'neither Lite nor 2.3.5 has load priority');
      assert.doesNotMatch(accepted.priorityIgnoredBy, /^v?2\.([6-9]|\d\d)/);
      await waitLoaded(port, 'a1');
      await port.release({ database: 'default', collection: 'a1' });
    });

    it('classifies a missing collection and a missing database as notFound', async () => {
      await rejectsWith(port.release({ database: 'default', collection: 'nope' }), 'CollectionNotFound', 'notFound');
      await rejectsWith(port.listCollections('no_such_db'), 'DatabaseNotFound', 'notFound');
    });

    it('a missing index is terminal: IndexNotFound', async (t) => {
      if (backend.missingIndex !== true) {
        t.skip(backend.missingIndex);
        return;
      }
      await seed(server.address, 'unindexed', { credentials: server.credentials, index: false });
      await rejectsWith(load('unindexed'), 'IndexNotFound', 'terminal');
    });

    it('wrong credentials are terminal: AuthenticationFailed', async (t) => {
      if (backend.auth !== true) {
        t.skip(backend.auth);
        return;
      }
      const bad = createSdkPort({ address: server.address, tls: false, timeoutMs: 10_000, username: 'root', password: 'adapter-wrong-password' });
      try {
        await rejectsWith(bad.listCollections('default'), 'AuthenticationFailed', 'terminal');
      } finally {
        await bad.close();
      }
    });

    // Last: it stops the server.
    it('a dead server is MilvusUnavailable (refused at once), not a timeout', async () => {
      await port.listCollections('default');
      await server.down();
      await rejectsWith(port.listCollections('default'), 'MilvusUnavailable', 'retryable');
    });
  });
}

describe('SDK adapter on the simulator: failures real servers cannot be made to produce', () => {
  let sim: MilvusSimulator;
  let port: MilvusPort;
  before(async () => {
    sim = await startSimulator({ loadMillis: 0 });
    port = createSdkPort({ address: sim.address, tls: false, timeoutMs: 2000 });
  });
  after(async () => {
    await port.close();
    await sim.stop();
  });

  it('a missing index is terminal', async () => {
    sim.state.createCollection('default', 'unindexed', { indexed: false });
    await rejectsWith(port.load({ database: 'default', collection: 'unindexed', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false }), 'IndexNotFound', 'terminal');
  });

  it('insufficient memory: Milvus accepts the load, cancels it, and replays the error on progress', async () => {
    sim.state.capacityBytes = 10;
    sim.state.config.loadTimeoutMillis = 50;
    sim.state.createCollection('default', 'huge', { memBytes: 100 });
    try {
      await port.load({ database: 'default', collection: 'huge', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
      // Milvus cancels the stalled load after its load timeout; only then is the error replayed.
      await until('the stalled load cancelled', async () => sim.state.loadState(sim.state.collection('default', 'huge')) === 'LoadStateNotLoad', 30_000, 10);
      await rejectsWith(port.loadProgress('default', 'huge'), 'InsufficientMemory', 'retryable');
    } finally {
      sim.state.capacityBytes = Number.POSITIVE_INFINITY;
      sim.state.config.loadTimeoutMillis = 600_000;
    }
  });

  it('UNAVAILABLE is retryable (the SDK retries it until the call deadline)', async () => {
    await port.listCollections('default');
    await sim.faults.unavailable(true, 'status');
    try {
      // Which of the two reasons depends on a race in the SDK's retry interceptor (docs/simulator.md); the class does not.
      await assert.rejects(port.listCollections('default'), (e: unknown) => {
        assert.ok(e instanceof MilvusError, `not a MilvusError: ${String(e)}`);
        assert.equal(e.kind, 'retryable', e.message);
        assert.match(e.reason, /^Milvus(Unavailable|Timeout)$/);
        return true;
      });
    } finally {
      await sim.faults.unavailable(false, 'status');
    }
  });

  it('replicas of a collection that is not loaded are unknown, not an error; a loaded one has them', async () => {
    sim.state.createCollection('default', 'replicated', { rows: 10 });
    const { id } = await port.describe('default', 'replicated');
    assert.equal(await port.replicas('default', id), undefined, 'an existing collection that is not loaded');
    await port.load({ database: 'default', collection: 'replicated', replicas: 1, resourceGroups: [], fields: [], skipDynamicField: false, refresh: false });
    await waitLoaded(port, 'replicated');
    assert.deepEqual(await port.replicas('default', id), { replicas: 1, resourceGroups: ['__default_resource_group'] });
  });

  it('bad credentials are terminal', async () => {
    sim.faults.requireAuth({ user: 'alice', password: 'secret' });
    const bad = createSdkPort({ address: sim.address, tls: false, timeoutMs: 2000, username: 'alice', password: 'wrong' });
    try {
      await rejectsWith(bad.listCollections('default'), 'AuthenticationFailed', 'terminal');
    } finally {
      sim.faults.requireAuth(undefined);
      await bad.close();
    }
  });

  it('a dead server is MilvusUnavailable (refused at once), not a timeout', async () => {
    await port.listCollections('default');
    await sim.stop();
    try {
      // A call that hung until its 2 s deadline would be MilvusTimeout: the reason tells them apart.
      await rejectsWith(port.listCollections('default'), 'MilvusUnavailable', 'retryable');
    } finally {
      await sim.restart();
    }
  });
});
