// A dropped Milvus client must really close its connection: the operator
// closes the clients of instances no policy uses any more, and with the SDK's
// own closeConnection() one TCP connection per client stayed open for the
// life of the process (src/milvus/sdk-sharing.ts says why). The simulator
// sits behind a TCP relay here that counts the connections it carries.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSdkPort } from '../../src/milvus/sdk-adapter.ts';
import { until } from '../env/wait.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';

interface Relay {
  readonly address: string;
  open(): number;
  close(): Promise<void>;
}

async function startRelay(target: number): Promise<Relay> {
  let open = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    open++;
    const upstream = connect(target, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    downstream.pipe(upstream).pipe(downstream);
    downstream.on('close', () => {
      open--;
      upstream.destroy();
    });
    upstream.on('close', () => downstream.destroy());
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('test: the relay has no TCP port');
  return {
    address: `127.0.0.1:${addr.port}`,
    open: () => open,
    // A connection the client failed to close would keep server.close() waiting.
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('SDK adapter: close (the simulator)', () => {
  let sim: MilvusSimulator;
  let relay: Relay;
  before(async () => {
    sim = await startSimulator();
    sim.state.createDatabase('default');
    relay = await startRelay(sim.port);
  });
  after(async () => {
    await relay.close();
    await sim.stop();
  });

  it('close() closes every connection the client opened', async () => {
    const port = createSdkPort({ address: relay.address, tls: false, timeoutMs: 5_000 });
    assert.deepEqual(await port.listCollections('default'), []);
    assert.ok(relay.open() > 0, 'the client holds a connection after a call');
    await port.close();
    await until('the relay carries no connection', () => Promise.resolve(relay.open() === 0), 15_000, 50);
  });
});
