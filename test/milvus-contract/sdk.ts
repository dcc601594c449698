// The Node SDK calls and checks the contract suite is written with: a reply's
// status read both ways (error_code and code), clients that come back soon
// after a restart, and a small collection to load.
import assert from 'node:assert/strict';
import { DataType, MilvusClient, type ClientConfig } from '@zilliz/milvus2-sdk-node';

/** Username and password, as the SDK's client takes them. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Status {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

export function statusOf(reply: unknown): Status | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { status?: Status } & Status;
  if (r.status) return r.status;
  if ('error_code' in r || 'code' in r) return r;
  return undefined;
}

export function isSuccess(reply: unknown): boolean {
  const s = statusOf(reply);
  return s !== undefined && (s.code ?? 0) === 0 && (s.error_code === 'Success' || s.error_code === 0 || s.error_code === undefined);
}

export function ok(reply: unknown, what: string): void {
  assert.ok(isSuccess(reply), `${what} failed: ${JSON.stringify(statusOf(reply) ?? reply)}`);
}

export function refused(reply: unknown, what: string, reason?: RegExp): void {
  assert.ok(!isSuccess(reply), `${what} should be refused, but succeeded`);
  if (reason) assert.match(String(statusOf(reply)?.reason), reason, `${what}: reason`);
}

export const DIM = 8;
export const ROWS = 200;
export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

export function clientFor(address: string, credentials?: Credentials, extra: Partial<ClientConfig> = {}): MilvusClient {
  // A private subchannel pool and short reconnect backoff, so the client comes back soon after a restart.
  const c = new MilvusClient({
    address,
    ...credentials,
    timeout: 30_000,
    telemetry: { enabled: false },
    logLevel: 'error',
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1000 },
    ...extra,
  });
  c.connectPromise.catch(() => undefined);
  return c;
}

export async function createCollection(c: MilvusClient, name: string, opts: { db?: string; rows?: number; index?: boolean } = {}): Promise<void> {
  const dbArg = opts.db ? { db_name: opts.db } : {};
  ok(
    await c.createCollection({
      ...dbArg,
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
        { name: 'title', data_type: DataType.VarChar, max_length: 64 },
      ],
    }),
    `createCollection ${name}`,
  );
  const rows = opts.rows ?? 0;
  if (rows > 0) {
    ok(await c.insert({ ...dbArg, collection_name: name, data: Array.from({ length: rows }, (_, i) => ({ id: i, vec: Array(DIM).fill(i / rows), title: `t${i}` })) }), 'insert');
    ok(await c.flushSync({ ...dbArg, collection_names: [name] }), 'flush');
  }
  if (opts.index ?? true) ok(await c.createIndex({ ...dbArg, collection_name: name, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
}

export async function waitForState(c: MilvusClient, name: string, want: string, db?: string, timeoutMs = 120_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.getLoadState({ collection_name: name, ...(db ? { db_name: db } : {}) });
    ok(r, 'getLoadState');
    if (seen[seen.length - 1] !== r.state) seen.push(String(r.state));
    if (String(r.state) === want) return seen;
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${want}; states seen: ${seen.join(' -> ')}`);
    await sleep(50);
  }
}


/** How a call ended: resolved, or rejected with the gRPC code the SDK passes on (undefined: not a gRPC error). */
export async function outcome(p: Promise<unknown>): Promise<{ ok: true; reply: unknown } | { ok: false; code: number | undefined; message: string }> {
  try {
    return { ok: true, reply: await p };
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    return { ok: false, code: typeof code === 'number' ? code : undefined, message: (e as Error).message };
  }
}
