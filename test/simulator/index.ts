// The Milvus simulator: a gRPC server speaking Milvus's protocol (from the
// Node SDK's own definitions) over an in-memory model. It exists for scale
// and for failures real servers cannot be made to produce; it never stands
// in for a real-server test. See docs/simulator.md.
import * as grpc from '@grpc/grpc-js';
import { milvusService } from './protocol.ts';
import { instrument, type Faults } from './server.ts';
import { SimulatorState } from './state.ts';

export { SimulatorState } from './state.ts';
export type { Faults } from './server.ts';

export interface SimulatorOptions {
  /** Default: a free port. */
  port?: number;
  /** Clock for load progress (default Date.now). */
  now?: () => number;
  loadMillis?: number;
}

export interface MilvusSimulator {
  readonly uri: string;
  readonly address: string;
  readonly port: number;
  readonly state: SimulatorState;
  readonly faults: Faults;
  /** Calls per RPC method since start or the last reset. */
  counters(): Record<string, number>;
  resetCounters(): void;
  /** Load, release and refresh calls: what changes Milvus. */
  mutatingCalls(): number;
  /** Stop listening: clients see real connection errors. State is kept. */
  stop(): Promise<void>;
  /** Listen again on the same port, with the same state. */
  restart(): Promise<void>;
}

const MUTATING = ['LoadCollection', 'ReleaseCollection', 'LoadPartitions', 'ReleasePartitions'];

function bind(server: grpc.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<MilvusSimulator> {
  const state = new SimulatorState(opts.now);
  if (opts.loadMillis !== undefined) state.loadMillis = opts.loadMillis;
  const faults: Faults = { unavailable: false, latencyMs: new Map(), failNext: new Map(), requireAuth: undefined };
  const { service, counters } = instrument(state, faults);
  const serve = async (port: number): Promise<{ server: grpc.Server; port: number }> => {
    const server = new grpc.Server();
    server.addService(milvusService, service);
    return { server, port: await bind(server, port) };
  };
  let current: grpc.Server | undefined;
  const first = await serve(opts.port ?? 0);
  current = first.server;
  const port = first.port;
  return {
    uri: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    port,
    state,
    faults,
    counters: () => Object.fromEntries(counters),
    resetCounters: () => counters.clear(),
    mutatingCalls: () => MUTATING.reduce((n, m) => n + (counters.get(m) ?? 0), 0),
    async stop() {
      current?.forceShutdown();
      current = undefined;
      await Promise.resolve();
    },
    async restart() {
      current?.forceShutdown();
      current = (await serve(port)).server;
    },
  };
}
