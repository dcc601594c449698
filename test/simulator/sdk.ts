// Test helpers: a Node SDK client on the simulator, as the operator builds one.
import { MilvusClient, type ClientConfig } from '@zilliz/milvus2-sdk-node';
import type { MilvusSimulator } from './index.ts';

/**
 * A client with telemetry off (its heartbeat is not the operator's concern here)
 * and its own gRPC subchannel: grpc-js shares subchannels between clients of the
 * same address, so after Milvus was down even a new client would wait out the
 * old one's reconnect backoff.
 */
export function clientFor(sim: MilvusSimulator, config: Partial<ClientConfig> = {}): MilvusClient {
  return new MilvusClient({
    address: sim.address,
    timeout: 5000,
    telemetry: { enabled: false },
    ...config,
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, ...config.channelOptions },
  });
}

export interface StatusLike {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

/** The status of a reply: its `status` field, or the reply itself when it is a bare status. */
export function statusOf(reply: unknown): StatusLike | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { status?: StatusLike } & StatusLike;
  if (r.status) return r.status;
  return 'error_code' in r || 'code' in r ? r : undefined;
}

export function isSuccess(reply: unknown): boolean {
  const s = statusOf(reply);
  return s !== undefined && (s.code ?? 0) === 0 && s.error_code === 'Success';
}

/** Settles a promise into what happened, for asserting on rejections. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: Error & { code?: number; details?: string }; ms: number }> {
  const t0 = performance.now();
  try {
    const value = await p;
    return { ok: true, value, ms: performance.now() - t0 };
  } catch (e: unknown) {
    return { ok: false, error: e as Error & { code?: number }, ms: performance.now() - t0 };
  }
}
