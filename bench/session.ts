// One benchmark environment: a real kube-apiserver (startKube), the Milvus
// simulator in this process (so every RPC is counted and timestamped), the
// layout's collections and policies created before the operator starts, and
// the operator as a separate process (so its memory is its own).
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../src/kube/http.ts';
import { policiesPath } from '../src/kube/resources.ts';
import { startKube, type KubeEnv } from '../test/env/kube.ts';
import { peakRss, type ManagedProcess } from '../test/env/process.ts';
import { startSimulator, type MilvusSimulator } from '../test/simulator/index.ts';
import { fetchRequestTotals, type RequestCounts } from './apiserver-metrics.ts';
import { makeLayout, NAMESPACE, policyManifest, secretManifest, seedSimulator, type Layout, type LayoutOptions, type PolicyPlan } from './layout.ts';
import { memorySeries, type MemorySeries } from './memory-series.ts';
import { spawnOperator, type OperatorProcess } from './operator-process.ts';
import { StatusTracker } from './status-tracker.ts';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface SessionOptions extends LayoutOptions {
  /** The operator's --resync, in seconds. */
  readonly resyncSeconds: number;
  /** The compiled entry point to run as the operator (bench/build.ts). */
  readonly operatorMain: string;
  /** Progress lines go here (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface CallRecord {
  readonly at: number;
  readonly method: string;
  readonly database: string;
  /** ShowCollections: All or InMemory. */
  readonly type?: string;
  readonly collection?: string;
}

async function mapLimit<T>(items: readonly T[], limit: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
}

export class BenchSession {
  readonly kube: KubeEnv;
  readonly sim: MilvusSimulator;
  readonly layout: Layout;
  readonly tracker: StatusTracker;
  readonly http: KubeHttp;
  readonly opts: SessionOptions;
  /** Every Milvus call since the last `clearCalls()`. */
  calls: CallRecord[] = [];
  private readonly callWaiters: { match: (c: CallRecord) => boolean; resolve: (c: CallRecord) => void }[] = [];
  operator: ManagedProcess | undefined;
  operatorStartedAt = 0;
  private operatorProcess: OperatorProcess | undefined;
  /** Milliseconds spent creating the policies (not operator time). */
  createMs = 0;

  private constructor(kube: KubeEnv, sim: MilvusSimulator, layout: Layout, opts: SessionOptions) {
    this.kube = kube;
    this.sim = sim;
    this.layout = layout;
    this.opts = opts;
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    this.http = new KubeHttp(kc);
    this.tracker = new StatusTracker(kube.kubeconfigPath);
    sim.onCall(({ method, request, database, at }) => {
      const rec: CallRecord = {
        at,
        method,
        database,
        ...(method === 'ShowCollections' ? { type: typeof request.type === 'string' ? request.type : 'All' } : {}),
        ...(typeof request.collection_name === 'string' ? { collection: request.collection_name } : {}),
      };
      this.calls.push(rec);
      for (let i = this.callWaiters.length - 1; i >= 0; i--) {
        const w = this.callWaiters[i];
        if (w && w.match(rec)) {
          this.callWaiters.splice(i, 1);
          w.resolve(rec);
        }
      }
    });
  }

  log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  static async start(opts: SessionOptions): Promise<BenchSession> {
    const layout = makeLayout(opts);
    // The simulator loads instantly: the benchmark measures the operator, not Milvus's loading time.
    const sim = await startSimulator({ loadMillis: 0 });
    let kube: KubeEnv | undefined;
    try {
      seedSimulator(sim.state, layout);
      kube = await startKube();
      const session = new BenchSession(kube, sim, layout, opts);
      await session.prepareKube();
      return session;
    } catch (e: unknown) {
      await kube?.stop();
      await sim.stop();
      throw e;
    }
  }

  private async prepareKube(): Promise<void> {
    const k = this.kube;
    const crds = await k.kubectl(['apply', '-f', `${REPO_ROOT}crds/`]);
    if (crds.code !== 0) throw new Error(`kubectl apply -f crds/ failed: ${crds.stderr}`);
    const est = await k.kubectl(['wait', '--for=condition=Established', 'crd/collectionloadpolicies.milvusload.io', 'crd/collectionloadbudgets.milvusload.io', '--timeout=60s']);
    if (est.code !== 0) throw new Error(`CRDs not Established: ${est.stderr}`);
    const ns = await k.kubectl(['create', 'namespace', NAMESPACE]);
    if (ns.code !== 0) throw new Error(`kubectl create namespace ${NAMESPACE} failed: ${ns.stderr}`);
    for (const name of this.layout.secrets) {
      await this.http.call('POST', `/api/v1/namespaces/${NAMESPACE}/secrets`, secretManifest(name, this.sim.address));
    }
    this.tracker.start();
    const t0 = Date.now();
    await this.createPolicies(this.layout.policies);
    this.createMs = Date.now() - t0;
    this.tracker.expect(this.layout.policies);
    this.log(`  created ${this.layout.policies.length} policies in ${(this.createMs / 1000).toFixed(1)} s`);
  }

  /** Server-side creates, 16 at a time (the CRD's CEL rules run on each). */
  async createPolicies(plans: readonly PolicyPlan[]): Promise<void> {
    await mapLimit(plans, 16, async (p) => {
      await this.http.call('POST', policiesPath(NAMESPACE), policyManifest(p, this.sim.uri));
    });
  }

  async createPolicy(p: PolicyPlan): Promise<void> {
    await this.http.call('POST', policiesPath(NAMESPACE), policyManifest(p, this.sim.uri));
  }

  apiserverRequests(): Promise<RequestCounts> {
    return fetchRequestTotals(this.kube);
  }

  clearCalls(): void {
    this.calls = [];
  }

  /** Resolves with the first call from now on that matches. */
  nextCall(match: (c: CallRecord) => boolean, timeoutMs: number, what: string): Promise<CallRecord> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.callWaiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.callWaiters.splice(i, 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms; operator output:\n${this.operator?.tail(20) ?? '(not running)'}`));
      }, timeoutMs);
      const done = (c: CallRecord): void => {
        clearTimeout(timer);
        resolve(c);
      };
      this.callWaiters.push({ match, resolve: done });
    });
  }

  async startOperator(): Promise<ManagedProcess> {
    this.operatorProcess = await spawnOperator({ main: this.opts.operatorMain, kubeconfigPath: this.kube.kubeconfigPath, resyncSeconds: this.opts.resyncSeconds, dir: this.kube.dir });
    this.operatorStartedAt = this.operatorProcess.startedAt;
    this.operator = this.operatorProcess.proc;
    return this.operator;
  }

  /** The operator's memory between two times (epoch ms; default: from its start to now), seconds counted from its start. */
  async memory(from = this.operatorStartedAt, to = Date.now()): Promise<MemorySeries> {
    if (!this.operatorProcess) throw new Error('the operator was never started in this session');
    return memorySeries(await this.operatorProcess.memorySamples(), this.operatorStartedAt, from, to);
  }

  /** The operator's peak resident memory so far (VmHWM), in bytes. */
  async operatorPeakRss(): Promise<number> {
    if (!this.operator) throw new Error('the operator is not running');
    const rss = await peakRss(this.operator.pid);
    if (rss === undefined) throw new Error(`the operator (pid ${this.operator.pid}) is gone; its output:\n${this.operator.tail(30)}`);
    return rss;
  }

  /** Fails with the operator's output when it exited. */
  assertOperatorRunning(): void {
    if (this.operator && !this.operator.isRunning()) throw new Error(`the operator exited; its output:\n${this.operator.tail(40)}`);
  }

  async stopOperator(): Promise<void> {
    await this.operator?.stop();
    this.operator = undefined;
  }

  async stop(): Promise<void> {
    this.tracker.stop();
    await this.stopOperator();
    await this.kube.stop();
    await this.sim.stop();
  }
}
