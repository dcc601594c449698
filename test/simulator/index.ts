// The Milvus simulator: a gRPC server speaking Milvus's protocol (from the
// Node SDK's own definitions) over an in-memory model. It exists for scale
// and for failures real servers cannot be made to produce; it never stands
// in for a real-server test. See docs/simulator.md.
import { randomInt } from 'node:crypto';
import { Counters } from './counters.ts';
import { ProxyMetrics } from './proxy-metrics.ts';
import { FaultInjector } from './faults.ts';
import { catalogHandlers } from './rpc-catalog.ts';
import { loadHandlers } from './rpc-load.ts';
import { queryHandlers } from './rpc-query.ts';
import { buildService, Listener, type CallListener } from './server.ts';
import { SimulatorState, type SimulatorConfig } from './state.ts';

export { SimulatorState, DEFAULT_RESOURCE_GROUP } from './state.ts';
export type { CollectionSeed, SimCollection, SimulatorConfig } from './state.ts';
export { FaultInjector } from './faults.ts';
export type { Credentials, InjectedFailure, UnavailableMode } from './faults.ts';
export type { CallListener } from './server.ts';
export { ProxyMetrics } from './proxy-metrics.ts';
export * as MilvusErrors from './errors.ts';

export interface SimulatorOptions extends Partial<SimulatorConfig> {
  /** Default: a free port. */
  port?: number;
  /** Clock for loads, timeouts and timestamps (default Date.now). */
  now?: () => number;
  /** Another name for `now`. */
  clock?: () => number;
  /** Serve TLS with this certificate (PEM) instead of plain TCP; the URI then starts with https://. */
  tls?: { certPem: string; keyPem: string };
  /** A first call listener (same as calling `onCall` right after start). */
  onCall?: CallListener;
}

export interface RestartOptions {
  /**
   * false (default): everything comes back exactly as it was, loads included.
   * true: as a real Milvus restart does (querycoord recovery): the query nodes
   * lost their segments, so every loaded or loading collection loads again
   * from 0% (Loading, then Loaded); a load that was still Loading gets at most
   * `collectionRecoverTimes` (3) restarts before it is released; remembered
   * load failures are forgotten.
   */
  reload?: boolean;
}

export interface MilvusSimulator {
  /** http://127.0.0.1:PORT */
  readonly uri: string;
  /** 127.0.0.1:PORT */
  readonly address: string;
  readonly port: number;
  readonly state: SimulatorState;
  readonly faults: FaultInjector;
  /** Calls per RPC method since start or the last reset (a live object). */
  readonly counters: Readonly<Record<string, number>>;
  resetCounters(): void;
  /** LoadCollection, ReleaseCollection, LoadPartitions and ReleasePartitions calls. */
  mutatingCalls(): number;
  /** All calls. */
  totalCalls(): number;
  /** Calls that carried credentials (an `authorization` header), right or wrong: proves where credentials went. */
  authorizedCalls(): number;
  /**
   * Observes every call as it arrives, with its decoded request, database and
   * wall-clock time (Date.now, not the injected clock): benchmarks use it to
   * time "policy applied -> first LoadCollection for that collection".
   * Returns a function that removes the listener.
   */
  onCall(listener: CallListener): () => void;
  /** The clock loads progress on (the `now` option, else Date.now). */
  readonly clock: () => number;
  /** Per-proxy milvus_proxy_req_count for the usage sources: setProxies(n), listen() for the /metrics URLs, restartProxy(i), close(). Not stopped by stop(). */
  readonly proxyMetrics: ProxyMetrics;
  /** Stops listening. State is kept, so restart() can bring it back. */
  stop(): Promise<void>;
  /** Milvus down and up: a new server on the same port with the same state (see RestartOptions for loads). */
  restart(opts?: RestartOptions): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<MilvusSimulator> {
  const { port: wantedPort, now, clock, onCall, ...config } = opts;
  const listeners = new Set<CallListener>(onCall ? [onCall] : []);
  const state = new SimulatorState(now ?? clock);
  Object.assign(state.config, config);
  const counters = new Counters();
  // Called only after `running` exists: FaultInjector.unavailable() opens and closes the port.
  const faults = new FaultInjector(state, async (on) => {
    if (on) await running.listen();
    else running.close();
  });
  const serverId = String(randomInt(1, 2 ** 47));
  const handlers = { ...catalogHandlers(state), ...loadHandlers(state), ...queryHandlers(state, serverId) };
  const proxyMetrics = new ProxyMetrics();
  const running = new Listener(buildService({ handlers, faults, counters, listeners, proxyMetrics }), wantedPort ?? 0, opts.tls);
  await running.listen();
  const port = running.port;
  return {
    uri: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    port,
    state,
    faults,
    counters: counters.byMethod,
    resetCounters: () => counters.reset(),
    mutatingCalls: () => counters.mutating(),
    totalCalls: () => counters.total(),
    authorizedCalls: () => counters.withAuthorization,
    onCall: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    proxyMetrics,
    stop: () => {
      running.close();
      return Promise.resolve();
    },
    get clock() {
      return state.now;
    },
    restart: async (restartOpts: RestartOptions = {}) => {
      running.close();
      if (restartOpts.reload === true) state.loads.recoverAll();
      await running.listen();
    },
  };
}
