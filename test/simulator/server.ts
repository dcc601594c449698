// gRPC wiring of the simulator: every MilvusService method of the SDK's
// protocol, counted, run through the injected faults and authentication, and
// answered by its handler; methods without one answer UNIMPLEMENTED, as a
// real server that predates them does.
import * as grpc from '@grpc/grpc-js';
import type { Counters } from './counters.ts';
import { COUNTED_METHODS, type ProxyMetrics } from './proxy-metrics.ts';
import { injectedStatus, type FaultInjector } from './faults.ts';
import { milvusService, repliesWithBareStatus } from './protocol.ts';
import { str, type Handlers, type Reply, type Req } from './rpc.ts';

/** Observes every call as it arrives (before faults, latency and the handler): for benchmarks that need per-call timestamps. */
export type CallListener = (call: { method: string; request: Req; database: string; at: number }) => void;

export interface ServiceParts {
  handlers: Handlers;
  faults: FaultInjector;
  counters: Counters;
  /** Called for every call, in arrival order; a listener that throws is ignored so it cannot change replies. */
  listeners?: Set<CallListener>;
  /** Counts Search/HybridSearch/Query per collection and outcome, as a proxy's /metrics does. */
  proxyMetrics?: ProxyMetrics;
}

/** Wraps the reply of a counted method so its outcome reaches the proxy metrics. Calls refused before a handler (down, unknown method, wrong credentials) are not counted, as in Milvus, where interceptors refuse them. */
function counting(parts: ServiceParts, method: string, call: grpc.ServerUnaryCall<Req, Reply>, callback: grpc.sendUnaryData<Reply>): grpc.sendUnaryData<Reply> {
  const metrics = parts.proxyMetrics;
  if (!metrics || !COUNTED_METHODS.has(method)) return callback;
  return (err, reply) => {
    const refused = err !== null && err !== undefined && [grpc.status.UNAVAILABLE, grpc.status.UNIMPLEMENTED, grpc.status.UNAUTHENTICATED].some((c) => c === err.code);
    if (!refused) {
      const status = (reply as { status?: { code?: number; error_code?: string | number } } | undefined)?.status;
      const ok = !err && (status?.code ?? 0) === 0 && (status?.error_code ?? 'Success') === 'Success';
      metrics.record(method, databaseOf(call), str(call.request.collection_name), ok ? 'success' : 'fail');
    }
    callback(err, reply);
  };
}

/** The database a call addresses: the request's own field, else the SDK's `dbname` header (as the proxy's database interceptor fills it), else "default". */
function databaseOf(call: grpc.ServerUnaryCall<Req, Reply>): string {
  const fromRequest = str(call.request.db_name) || str(call.request.dbName);
  if (fromRequest) return fromRequest;
  const header = call.metadata.get('dbname')[0];
  return (header === undefined ? '' : String(header)) || 'default';
}

function answer(parts: ServiceParts, method: string, call: grpc.ServerUnaryCall<Req, Reply>, callback: grpc.sendUnaryData<Reply>): void {
  const { handlers, faults } = parts;
  if (faults.unavailableStatus) return callback({ code: grpc.status.UNAVAILABLE, details: 'simulator: Milvus unavailable (injected fault)' });
  const handler = handlers[method];
  // grpc-go answers a method it does not know before any interceptor runs.
  if (!handler || faults.isUnimplemented(method)) return callback({ code: grpc.status.UNIMPLEMENTED, details: `unknown method ${method} for service milvus.proto.milvus.MilvusService` });
  const auth = call.metadata.get('authorization')[0];
  const verdict = faults.checkAuth(auth === undefined ? undefined : String(auth));
  if (!verdict.ok) return callback({ code: grpc.status.UNAUTHENTICATED, details: verdict.details });
  const injected = faults.takeFailure(method);
  if (injected && 'grpcCode' in injected) return callback({ code: injected.grpcCode, details: injected.details });
  if (injected) {
    const status = injectedStatus(injected);
    return callback(null, repliesWithBareStatus.has(method) ? { ...status } : { status });
  }
  try {
    callback(null, handler(call.request, databaseOf(call)));
  } catch (e: unknown) {
    callback({ code: grpc.status.INTERNAL, details: `simulator: ${method} failed: ${e instanceof Error ? e.message : String(e)}` });
  }
}

function notify(listeners: Set<CallListener>, method: string, call: grpc.ServerUnaryCall<Req, Reply>): void {
  const event = { method, request: call.request, database: databaseOf(call), at: Date.now() };
  for (const l of listeners) {
    try {
      l(event);
    } catch (e: unknown) {
      // An observer must never change what the simulator answers; say so once per failure.
      process.stderr.write(`simulator: onCall listener threw on ${method}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

export function buildService(parts: ServiceParts): grpc.UntypedServiceImplementation {
  const service: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(milvusService)) {
    service[method] = (call: grpc.ServerUnaryCall<Req, Reply>, callback: grpc.sendUnaryData<Reply>): void => {
      parts.counters.count(method, call.metadata.get('authorization').length > 0);
      if (parts.listeners && parts.listeners.size > 0) notify(parts.listeners, method, call);
      const delay = parts.faults.delayFor(method);
      // Unref'd: a hung call (latency past every deadline) must not keep a test process alive.
      const reply = counting(parts, method, call, callback);
      if (delay > 0) setTimeout(() => answer(parts, method, call, reply), delay).unref();
      else answer(parts, method, call, reply);
    };
  }
  return service;
}

/** A gRPC server on 127.0.0.1 that can stop listening and listen again on the same port (Milvus down and back). */
export class Listener {
  port: number;
  private server: grpc.Server | undefined;
  private readonly service: grpc.UntypedServiceImplementation;
  private readonly tls: { certPem: string; keyPem: string } | undefined;

  constructor(service: grpc.UntypedServiceImplementation, port: number, tls?: { certPem: string; keyPem: string }) {
    this.service = service;
    this.port = port;
    this.tls = tls;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = new grpc.Server();
    server.addService(milvusService, this.service);
    this.port = await new Promise<number>((resolve, reject) => {
      const creds = this.tls
        ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(this.tls.certPem), private_key: Buffer.from(this.tls.keyPem) }], false)
        : grpc.ServerCredentials.createInsecure();
      server.bindAsync(`127.0.0.1:${this.port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    this.server = server;
  }

  /** Stops listening and drops open connections: clients see connection errors, not replies. */
  close(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}
