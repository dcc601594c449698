// Watches the benchmark's policies from the bench process (its own informer,
// not the operator's) and notes when each policy's status first became and
// stays correct, so "every status correct" has a timestamp without polling
// 20,000 objects.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../src/kube/http.ts';
import { Informer } from '../src/kube/informer.ts';
import { policiesPath } from '../src/kube/resources.ts';
import { NAMESPACE, statusCorrect, type PolicyPlan } from './layout.ts';

type PolicyObject = Parameters<typeof statusCorrect>[0] & { metadata: { name: string; namespace?: string; resourceVersion?: string } };

export class StatusTracker {
  private readonly informer: Informer<PolicyObject>;
  private readonly plans = new Map<string, PolicyPlan>();
  private readonly correct = new Set<string>();
  /** Policy status changes seen, not counting lastSyncTime (MODIFIED events whose status differs otherwise). */
  statusChanges = 0;
  /** MODIFIED events where only status.lastSyncTime moved (a rewrite that carried no news). */
  syncTimeOnlyChanges = 0;
  /** Time each policy's status was last seen turning correct. */
  readonly correctAt = new Map<string, number>();
  private correctExpected = 0;
  private waiters: { names: Set<string> | undefined; resolve: () => void }[] = [];

  constructor(kubeconfigPath: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    this.informer = new Informer<PolicyObject>({
      name: 'bench policies',
      http: new KubeHttp(kc),
      path: policiesPath(NAMESPACE),
      onChange: (key, cur, prev) => this.onChange(key, cur, prev),
      // The first failure right after the CRDs are created ("storage is (re)initializing") is routine.
      onError: (err, attempt) => {
        if (attempt > 1) process.stderr.write(`bench: policy watch failed (attempt ${attempt}), restarting: ${err.message}\n`);
      },
    });
  }

  start(): void {
    this.informer.start().catch((e: unknown) => process.stderr.write(`bench: policy watch stopped: ${(e as Error).message}\n`));
  }

  stop(): void {
    this.informer.stop();
  }

  expect(plans: readonly PolicyPlan[]): void {
    for (const p of plans) {
      if (this.plans.has(p.name)) continue;
      this.plans.set(p.name, p);
      if (this.correct.has(p.name)) this.correctExpected++;
    }
  }

  get expected(): number {
    return this.plans.size;
  }

  get correctCount(): number {
    return this.correctExpected;
  }

  /** Names of expected policies whose status is not correct (for error messages). */
  incorrect(limit = 5): string[] {
    const out: string[] = [];
    for (const name of this.plans.keys()) {
      if (!this.correct.has(name)) out.push(name);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The status of a policy as last seen, for error messages. */
  statusOf(name: string): unknown {
    return this.informer.get(`${NAMESPACE}/${name}`)?.status;
  }

  /** Resolves when every policy in `names` (default: every expected policy) is correct. */
  whenCorrect(names?: readonly string[]): Promise<void> {
    const set = names ? new Set(names) : undefined;
    if (this.allCorrect(set)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ names: set, resolve }));
  }

  private allCorrect(names: Set<string> | undefined): boolean {
    if (!names) return this.correctCount === this.plans.size;
    for (const n of names) if (!this.correct.has(n)) return false;
    return true;
  }

  private onChange(_key: string, cur: PolicyObject | undefined, prev: PolicyObject | undefined): void {
    const name = (cur ?? prev)?.metadata.name;
    if (!name) return;
    if (cur && prev && JSON.stringify(cur.status) !== JSON.stringify(prev.status)) {
      const strip = (st: unknown): string => JSON.stringify({ ...(st as object), lastSyncTime: undefined });
      if (strip(cur.status) === strip(prev.status)) this.syncTimeOnlyChanges++;
      else this.statusChanges++;
    }
    const plan = this.plans.get(name);
    const ok = cur !== undefined && plan !== undefined && statusCorrect(cur, plan);
    if (ok && !this.correct.has(name)) {
      this.correct.add(name);
      this.correctExpected++;
      this.correctAt.set(name, Date.now());
    } else if (!ok && this.correct.delete(name) && plan) this.correctExpected--;
    if (!ok) return;
    this.waiters = this.waiters.filter((w) => {
      if (!this.allCorrect(w.names)) return true;
      w.resolve();
      return false;
    });
  }
}
