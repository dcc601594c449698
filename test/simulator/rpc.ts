// What every RPC handler of the simulator shares: request/reply shapes and
// the proxy's name lookups (database first, then collection).
import * as E from './errors.ts';
import type { Status } from './errors.ts';
import type { SimCollection, SimulatorState } from './state.ts';

export type Req = Record<string, unknown>;
export type Reply = Record<string, unknown>;
/** One RPC: the decoded request and the database it addresses (request field, else `dbname` header, else "default"). */
export type Handler = (req: Req, db: string) => Reply;
export type Handlers = Record<string, Handler>;

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
export const int = (v: unknown): number => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
};

export const isStatus = (x: unknown): x is Status => typeof x === 'object' && x !== null && 'error_code' in x && 'reason' in x;

/** The proxy's meta-cache lookup: a missing database and a missing collection are different errors. */
export function lookup(state: SimulatorState, db: string, name: string): SimCollection | Status {
  if (!state.databases.has(db)) return E.databaseNotFound(db);
  return state.collection(db, name) ?? E.collectionNotFound(db, name);
}

/** For RPCs whose reply is a message with a `status` field. */
export const withStatus = (s: Status, rest: Reply = {}): Reply => ({ status: s, ...rest });

/** For RPCs whose reply is a bare common.Status. */
export const bare = (s: Status): Reply => ({ ...s });
