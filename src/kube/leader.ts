// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics (DESIGN §2: only the leader acts):
// - a candidate takes the Lease when it does not exist, has no holder, or
//   its record has not changed for leaseDuration as measured on OUR clock
//   (never by comparing the holder's timestamps with ours: clocks skew);
// - the leader renews every retryPeriod; if it cannot renew for
//   renewDeadline it stops leading at once (onStoppedLeading), before
//   anyone else may take over (renewDeadline < leaseDuration);
// - on a clean stop the leader gives the Lease up (empty holder, 1 s
//   duration), so a standby takes over within one retryPeriod instead of
//   waiting out the lease.
// Writes use the object's resourceVersion, so two candidates can never
// both win one round: the loser gets 409 Conflict.
import { realClock, sleep, type Clock } from './clock.ts';
import { isKubeError, type KubeHttp } from './http.ts';
import type { Logger } from '../log/logger.ts';

export interface LeaderElectionConfig {
  readonly http: KubeHttp;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly log: Logger;
  readonly onStartedLeading: () => void;
  /** Called once when leadership is lost (not on a clean stop). */
  readonly onStoppedLeading: (why: string) => void;
  /** The operator's one clock; expiry is measured on it. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Why keepLeading lost a round when no error was thrown. */
const TAKEN = 'the Lease was taken by another replica';

export function validateLeaderTimings(leaseMs: number, renewMs: number, retryMs: number): string | undefined {
  if (!(retryMs > 0)) return '--retry-period must be positive';
  if (!(renewMs > retryMs)) return '--renew-deadline must be longer than --retry-period';
  if (!(leaseMs > renewMs)) return '--lease-duration must be longer than --renew-deadline (otherwise two replicas could act at once)';
  return undefined;
}

export class LeaderElector {
  private readonly c: LeaderElectionConfig;
  private readonly path: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(c: LeaderElectionConfig) {
    this.c = c;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(c.namespace)}/leases/${encodeURIComponent(c.name)}`;
    this.clock = c.clock ?? realClock;
    this.random = c.random ?? Math.random;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.loop ??= this.run().catch((e: unknown) => {
      this.c.log.error('leader election stopped unexpectedly', { error: (e as Error).message });
      if (this.leading) this.lose(`leader election failed: ${(e as Error).message}`);
    });
  }

  /** Stops campaigning; a leader gives the Lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release();
    }
  }

  private sleep(ms: number): Promise<void> {
    const s = sleep(this.clock, ms);
    this.wake = () => {
      this.wake = undefined;
      s.wake();
    };
    return s.done.then(() => {
      this.wake = undefined;
    });
  }

  private async run(): Promise<void> {
    await this.campaign();
    await this.keepLeading();
  }

  /** Tries for the Lease every retryPeriod until this replica leads or is stopped. */
  private async campaign(): Promise<void> {
    let lastLog = 0;
    while (!this.stopped && !this.leading) {
      let got = false;
      try {
        got = await this.tryAcquireOrRenew(this.c.renewDeadlineMs);
      } catch (e: unknown) {
        // One warning per 30 s: a standby retries every retryPeriod for as long as the apiserver is away.
        if (this.clock.now() - lastLog > 30_000) {
          lastLog = this.clock.now();
          this.c.log.warn('cannot reach the leader election Lease; retrying', { lease: `${this.c.namespace}/${this.c.name}`, error: (e as Error).message, hint: hintFor(e) });
        }
      }
      if (got && !this.stopped) {
        this.leading = true;
        this.c.log.info('became the leader', { lease: `${this.c.namespace}/${this.c.name}`, identity: this.c.identity });
        this.c.onStartedLeading();
        return;
      }
      // Jitter keeps standbys from hitting the apiserver in lockstep.
      await this.sleep(this.c.retryPeriodMs * (1 + 0.2 * this.random()));
    }
  }

  /** Renews every retryPeriod; stops leading when another replica took the Lease or renewDeadline passed without a renewal. */
  private async keepLeading(): Promise<void> {
    let lastRenew = this.clock.now();
    while (!this.stopped && this.leading) {
      await this.sleep(this.c.retryPeriodMs);
      if (this.stopped) break;
      let renewed = false;
      let why = TAKEN;
      try {
        renewed = await this.tryAcquireOrRenew(Math.max(500, this.c.renewDeadlineMs - (this.clock.now() - lastRenew)));
      } catch (e: unknown) {
        why = (e as Error).message;
      }
      if (renewed) lastRenew = this.clock.now();
      else if (why === TAKEN || this.clock.now() - lastRenew >= this.c.renewDeadlineMs) {
        this.lose(`could not renew the Lease within ${this.c.renewDeadlineMs} ms: ${why}`);
      }
    }
  }

  private lose(why: string): void {
    this.leading = false;
    this.c.log.error('lost leadership; stopping all work', { lease: `${this.c.namespace}/${this.c.name}`, reason: why });
    this.c.onStoppedLeading(why);
  }

  /** One round: take, or renew, the Lease. False when another replica holds it or won the write. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const now = this.clock.now();
    const spec: LeaseSpec = { holderIdentity: this.c.identity, leaseDurationSeconds: Math.ceil(this.c.leaseDurationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
    const current = await this.getLease(timeoutMs);
    if (current === undefined) return this.write('POST', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.c.name, namespace: this.c.namespace }, spec }, now, timeoutMs);
    const old = current.spec ?? {};
    const mine = old.holderIdentity === this.c.identity;
    const seenSince = this.seenSince(old, now);
    if (!mine && heldByAnother(old, seenSince, now, this.c.leaseDurationMs)) return false;
    const next: LeaseSpec = mine
      ? { ...old, renewTime: spec.renewTime, leaseDurationSeconds: spec.leaseDurationSeconds }
      : { ...spec, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    return this.write('PUT', { ...current, spec: next }, now, timeoutMs);
  }

  /** The Lease, or undefined when it does not exist yet. */
  private async getLease(timeoutMs: number): Promise<Lease | undefined> {
    try {
      return (await this.c.http.call<Lease>('GET', this.path, undefined, undefined, timeoutMs)).body;
    } catch (e: unknown) {
      if (isKubeError(e, 'NotFound')) return undefined;
      throw e;
    }
  }

  /** When we first saw this record of the Lease, on our clock: expiry is measured from there, never from the holder's timestamps. */
  private seenSince(old: LeaseSpec, now: number): number {
    const record = JSON.stringify(old);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    return this.observed.at;
  }

  /** Creates (POST) or replaces (PUT, at the read resourceVersion) the Lease; a 409 means another replica won this round. */
  private async write(method: 'POST' | 'PUT', lease: Lease, now: number, timeoutMs: number): Promise<boolean> {
    const path = method === 'POST' ? this.path.slice(0, this.path.lastIndexOf('/')) : this.path;
    try {
      await this.c.http.call(method, path, lease, undefined, timeoutMs);
    } catch (e: unknown) {
      if (isKubeError(e, 'Conflict')) return false;
      throw e;
    }
    this.observed = { record: JSON.stringify(lease.spec), at: now };
    return true;
  }

  private async release(): Promise<void> {
    try {
      const current = (await this.c.http.call<Lease>('GET', this.path, undefined, undefined, 5_000)).body;
      if (current.spec?.holderIdentity !== this.c.identity) return;
      const now = this.clock.now();
      await this.c.http.call('PUT', this.path, { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) } }, undefined, 5_000);
      this.c.log.info('gave up the leader election Lease', { lease: `${this.c.namespace}/${this.c.name}` });
    } catch (e: unknown) {
      this.c.log.warn('could not give up the Lease; a standby takes over when it expires', { error: (e as Error).message });
    }
  }
}

/** Another replica holds the Lease, and its record changed within the lease duration it asked for. */
function heldByAnother(old: LeaseSpec, seenSince: number, now: number, defaultDurationMs: number): boolean {
  const durationMs = (old.leaseDurationSeconds ?? Math.ceil(defaultDurationMs / 1000)) * 1000;
  return (old.holderIdentity ?? '') !== '' && seenSince + durationMs > now;
}

function hintFor(e: unknown): string {
  if (isKubeError(e, 'Forbidden')) return 'the service account needs get, create and update on leases (coordination.k8s.io) in the leader election namespace; see deploy/';
  if (isKubeError(e, 'NotFound')) return 'does the leader election namespace exist?';
  return 'check that the Kubernetes API is reachable';
}
