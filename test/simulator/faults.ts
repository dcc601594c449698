// Faults the real servers cannot be made to produce on demand: Milvus down,
// slow RPCs, one-shot errors with real codes, stuck loads, authentication.
import * as E from './errors.ts';
import type { Status } from './errors.ts';
import type { SimulatorState } from './state.ts';

/** A one-shot failure: a Milvus status in the reply, or a gRPC error status. */
export type InjectedFailure =
  | { code: number; reason: string; error_code?: string }
  | { grpcCode: number; details: string };

export type Credentials = { token: string } | { user: string; password: string };

export type AuthVerdict = { ok: true } | { ok: false; details: string };

/**
 * `refuse`: the server stops listening and drops connections (clients see real connection errors).
 * `status`: it keeps listening and answers every call with gRPC UNAVAILABLE (a proxy or load balancer whose backend is gone).
 */
export type UnavailableMode = 'refuse' | 'status';

export class FaultInjector {
  /** Set while every call is answered with gRPC UNAVAILABLE. */
  unavailableStatus = false;
  private readonly latency = new Map<string, number>();
  private readonly oneShot = new Map<string, InjectedFailure[]>();
  private credentials: Credentials | undefined;
  private readonly unimplementedMethods = new Set<string>();
  private readonly state: SimulatorState;
  private readonly setListening: (on: boolean) => Promise<void>;

  constructor(state: SimulatorState, setListening: (on: boolean) => Promise<void>) {
    this.state = state;
    this.setListening = setListening;
  }

  /** Milvus down (`on`) or back. By default the port is closed: connections are refused. */
  async unavailable(on: boolean, mode: UnavailableMode = 'refuse'): Promise<void> {
    if (mode === 'status') {
      this.unavailableStatus = on;
      return;
    }
    this.unavailableStatus = false;
    await this.setListening(!on);
  }

  /** Extra latency for one method, or every method ('*' or 'all'); 0 removes it. A latency past the client's deadline is a hung server. */
  latencyMs(method: string, ms: number): void {
    const key = method === 'all' ? '*' : method;
    if (ms > 0) this.latency.set(key, ms);
    else this.latency.delete(key);
  }

  delayFor(method: string): number {
    return this.latency.get(method) ?? this.latency.get('*') ?? 0;
  }

  /** The next call of `method` fails once with this status (queued: several calls fail in order). */
  failNext(method: string, failure: InjectedFailure): void {
    const queue = this.oneShot.get(method) ?? [];
    queue.push(failure);
    this.oneShot.set(method, queue);
  }

  takeFailure(method: string): InjectedFailure | undefined {
    const queue = this.oneShot.get(method);
    const next = queue?.shift();
    if (queue?.length === 0) this.oneShot.delete(method);
    return next;
  }

  /**
   * Loads stop at `atPercent` (default 50): for all loads started from now on,
   * or for one collection (any load of it, now or later). `false` lifts it,
   * and stuck loads go on from where the clock says they would be.
   */
  stuckLoads(on: boolean | { atPercent?: number; db?: string; collection?: string }): void {
    if (on === false) {
      this.state.stuckGlobal = undefined;
      this.state.stuckPerCollection.clear();
      for (const c of this.state.byId.values()) if (c.load) delete c.load.stuckAt;
      return;
    }
    const opts = on === true ? {} : on;
    const at = opts.atPercent ?? 50;
    if (opts.collection !== undefined) this.state.stuckPerCollection.set(`${opts.db ?? 'default'}/${opts.collection}`, at);
    else this.state.stuckGlobal = at;
  }

  /** Answer `method` with gRPC UNIMPLEMENTED, as a server that predates it (or Milvus Lite) does. */
  unimplemented(method: string, on = true): void {
    if (on) this.unimplementedMethods.add(method);
    else this.unimplementedMethods.delete(method);
  }

  isUnimplemented(method: string): boolean {
    return this.unimplementedMethods.has(method);
  }

  /** Require credentials as a Milvus with authorizationEnabled does; undefined turns it off. */
  authRequired(credentials: Credentials | undefined): void {
    this.credentials = credentials;
  }

  /**
   * The same as authRequired, called as `faults.requireAuth({ user, password })`,
   * `faults.requireAuth({ token })` or `faults.requireAuth(undefined)`.
   */
  get requireAuth(): (credentials: Credentials | undefined) => void {
    return (credentials) => this.authRequired(credentials);
  }

  /** The proxy's AuthenticationInterceptor: `authorization` is base64 of "user:password" or of an API key. */
  checkAuth(authorization: string | undefined): AuthVerdict {
    const want = this.credentials;
    if (!want) return { ok: true };
    if (authorization === undefined) return { ok: false, details: E.AUTH_MISSING };
    const raw = Buffer.from(authorization, 'base64').toString('utf8');
    if (raw.includes(':')) {
      const ok = 'user' in want ? raw === `${want.user}:${want.password}` : raw === want.token;
      return ok ? { ok: true } : { ok: false, details: E.AUTH_BAD_PASSWORD };
    }
    const ok = 'token' in want && raw === want.token;
    return ok ? { ok: true } : { ok: false, details: E.AUTH_BAD_API_KEY };
  }

  /** Turns every fault off (listening is not changed: call unavailable(false) for that). */
  clear(): void {
    this.unavailableStatus = false;
    this.latency.clear();
    this.oneShot.clear();
    this.credentials = undefined;
    this.unimplementedMethods.clear();
    this.stuckLoads(false);
  }
}

/** The reply an injected Milvus failure becomes. */
export function injectedStatus(f: { code: number; reason: string; error_code?: string }): Status {
  const s = E.milvusStatus(f.code, f.reason);
  return f.error_code === undefined ? s : { ...s, error_code: f.error_code };
}
