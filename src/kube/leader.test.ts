// Leader election against an in-memory Lease (a structural fake of KubeHttp's
// `call`, with resourceVersion checks as the apiserver does them) and Node's
// mock timers for both the clock and the elector's sleeps.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createLogger } from '../log/logger.ts';
import { KubeApiError, type KubeHttp } from './http.ts';
import { LeaderElector, microTime, validateLeaderTimings } from './leader.ts';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
  acquireTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

const PATH = '/apis/coordination.k8s.io/v1/namespaces/ops/leases/mlo';

class FakeLeaseApi {
  lease: Lease | undefined;
  rv = 1;
  /** Failures for the next calls, by verb. */
  readonly failures: Record<string, KubeApiError[]> = { GET: [], POST: [], PUT: [] };
  readonly calls: string[] = [];
  /** Everything fails: the apiserver is unreachable. */
  down = false;

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    await Promise.resolve();
    this.calls.push(method);
    if (this.down) throw new KubeApiError(0, 'Unreachable', 'connect ECONNREFUSED');
    const f = this.failures[method]?.shift();
    if (f) throw f;
    if (method === 'GET') {
      assert.equal(path, PATH);
      if (!this.lease) throw new KubeApiError(404, 'NotFound', 'leases "mlo" not found');
      return { status: 200, body: structuredClone(this.lease) as T };
    }
    if (method === 'POST') {
      if (this.lease) throw new KubeApiError(409, 'AlreadyExists', 'leases "mlo" already exists');
      this.lease = { ...(body as Lease), metadata: { ...(body as Lease).metadata, resourceVersion: String(++this.rv) } };
      return { status: 201, body: {} as T };
    }
    const next = body as Lease;
    if (next.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    this.lease = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.rv) } };
    return { status: 200, body: {} as T };
  }

  /** Another replica writes the Lease (renews it, or takes it). */
  heldBy(identity: string, at: number): void {
    this.lease = { metadata: { name: 'mlo', namespace: 'ops', resourceVersion: String(++this.rv) }, spec: { holderIdentity: identity, leaseDurationSeconds: 15, renewTime: microTime(at), acquireTime: microTime(at), leaseTransitions: 3 } };
  }
}

async function settle(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

function elector(t: TestContext, api: FakeLeaseApi) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_800_000_000_000 });
  const events: string[] = [];
  const logs: string[] = [];
  const e = new LeaderElector({
    http: api as unknown as KubeHttp,
    namespace: 'ops',
    name: 'mlo',
    identity: 'me',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    log: createLogger('debug', {}, (l) => logs.push(l)),
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: (why) => events.push(`stopped: ${why}`),
    random: () => 0,
  });
  e.start();
  t.after(async () => {
    await e.stop();
  });
  /** Moves the clock and the timers together, one retry period at a time. */
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 1_000) {
      t.mock.timers.tick(Math.min(1_000, left));
      await settle('calls to finish', () => true);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    }
  };
  return { e, events, logs, advance };
}

describe('LeaderElector', () => {
  it('creates the Lease when there is none and leads', async (t) => {
    const api = new FakeLeaseApi();
    const { e, events } = elector(t, api);
    await settle('leading', () => e.isLeader());
    assert.deepEqual(events, ['started']);
    assert.equal(api.lease?.spec?.holderIdentity, 'me');
    assert.equal(api.lease?.spec?.leaseDurationSeconds, 15);
    assert.match(api.lease?.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('renews every retry period while it leads', async (t) => {
    const api = new FakeLeaseApi();
    const { e, advance } = elector(t, api);
    await settle('leading', () => e.isLeader());
    const first = api.lease?.spec?.renewTime;
    await advance(2_000);
    assert.notEqual(api.lease?.spec?.renewTime, first);
    assert.equal(api.lease?.spec?.holderIdentity, 'me');
  });

  it('waits while another replica renews, and takes over once its record has not changed for the lease duration (on our clock)', async (t) => {
    const api = new FakeLeaseApi();
    api.heldBy('other', 0);
    const { e, events, advance } = elector(t, api);
    await advance(10_000);
    api.heldBy('other', 10_000); // renewed: a new record, the wait starts again
    await advance(10_000);
    assert.equal(e.isLeader(), false, 'the holder renewed within the lease duration');
    await advance(8_000);
    assert.equal(e.isLeader(), true);
    assert.deepEqual(events, ['started']);
    assert.equal(api.lease?.spec?.holderIdentity, 'me');
    assert.equal(api.lease?.spec?.leaseTransitions, 4);
  });

  it('loses a race for the Lease (409 on update) without leading, and tries again', async (t) => {
    const api = new FakeLeaseApi();
    api.heldBy('', 0);
    api.failures.PUT?.push(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    const { e, advance } = elector(t, api);
    await advance(1_000);
    assert.equal(e.isLeader(), false);
    await advance(2_000);
    assert.equal(e.isLeader(), true);
  });

  it('loses a race to create it (409 on create)', async (t) => {
    const api = new FakeLeaseApi();
    api.failures.POST?.push(new KubeApiError(409, 'AlreadyExists', 'exists'));
    const { e, advance } = elector(t, api);
    await advance(1_000);
    assert.equal(e.isLeader(), false);
  });

  it('stops leading when it cannot renew within the renew deadline, once, before the lease could expire', async (t) => {
    const api = new FakeLeaseApi();
    const { e, events, advance } = elector(t, api);
    await settle('leading', () => e.isLeader());
    api.down = true;
    await advance(8_000);
    assert.equal(e.isLeader(), true, 'still within the renew deadline');
    await advance(4_000);
    assert.equal(e.isLeader(), false);
    assert.equal(events.length, 2);
    assert.match(events[1] ?? '', /^stopped: could not renew the Lease within 10000 ms: connect ECONNREFUSED/);
    api.down = false;
    await advance(6_000);
    assert.equal(events.length, 2, 'not started again: the process exits and restarts as a standby');
  });

  it('stops leading at once when another replica has taken the Lease', async (t) => {
    const api = new FakeLeaseApi();
    const { e, events, advance } = elector(t, api);
    await settle('leading', () => e.isLeader());
    api.heldBy('other', 0);
    await advance(2_000);
    assert.equal(e.isLeader(), false);
    assert.match(events[1] ?? '', /the Lease was taken by another replica/);
  });

  it('gives the Lease up on a clean stop, so a standby takes over within a retry period', async (t) => {
    const api = new FakeLeaseApi();
    const { e, events } = elector(t, api);
    await settle('leading', () => e.isLeader());
    await e.stop();
    assert.equal(api.lease?.spec?.holderIdentity, '');
    assert.equal(api.lease?.spec?.leaseDurationSeconds, 1);
    assert.deepEqual(events, ['started'], 'a clean stop is not a lost leadership');
  });

  it('keeps campaigning when the Lease cannot be read, and says what to check (RBAC)', async (t) => {
    const api = new FakeLeaseApi();
    api.failures.GET?.push(new KubeApiError(403, 'Forbidden', 'leases is forbidden'));
    const { e, logs, advance } = elector(t, api);
    await advance(3_000);
    assert.equal(e.isLeader(), true);
    assert.ok(logs.some((l) => l.includes('needs get, create and update on leases')));
  });
});

describe('leader timings', () => {
  it('refuse a renew deadline that would let two replicas act at once', () => {
    assert.equal(validateLeaderTimings(15_000, 10_000, 2_000), undefined);
    assert.match(validateLeaderTimings(10_000, 10_000, 2_000) ?? '', /lease-duration must be longer/);
    assert.match(validateLeaderTimings(15_000, 2_000, 2_000) ?? '', /renew-deadline must be longer/);
    assert.match(validateLeaderTimings(15_000, 10_000, 0) ?? '', /retry-period must be positive/);
  });

  it('write MicroTime with six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
  });
});
