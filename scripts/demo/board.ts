// The demo's live picture: policies as Kubernetes reports them, collections
// as Milvus reports them (read with our own SDK client, not the operator's),
// the budget, the three steps and the narration. On a terminal it redraws in
// place every second; otherwise it prints a line when something changed.
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../../src/kube/http.ts';
import { budgetsPath, policiesPath } from '../../src/kube/resources.ts';
import { COLLECTIONS } from './sandbox.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface PolicyObject {
  metadata: { name: string; namespace?: string };
  spec: { state?: string };
  status?: { effectiveState?: string; loadedSummary?: string; conditions?: Condition[]; collections?: { name: string; state: string }[] };
}

interface BudgetObject {
  metadata: { name: string };
  spec: { memoryLimit: string };
  status?: { used?: string; loadedCollections?: number; deferredCount?: number };
}

export interface Snapshot {
  readonly policies: readonly { ref: string; state: string; effective: string; loaded: string; ready: string; reason: string }[];
  readonly collections: readonly { name: string; milvus: string; policy: string }[];
  readonly budgets: readonly string[];
  readonly error?: string;
}

export type StepState = 'waiting' | 'running' | 'done' | 'failed';

export interface Step {
  readonly title: string;
  state: StepState;
  detail: string;
}

const MILVUS_STATE: Readonly<Record<string, string>> = { LoadStateLoaded: 'Loaded', LoadStateLoading: 'Loading', LoadStateNotLoad: 'Released', LoadStateNotExist: 'missing' };

export async function milvusStates(observer: MilvusClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { name } of COLLECTIONS) {
    const r = await observer.getLoadState({ collection_name: name });
    out.set(name, MILVUS_STATE[String(r.state)] ?? String(r.state));
  }
  return out;
}

export class Board {
  private readonly http: KubeHttp;
  private readonly observer: MilvusClient;
  /** When the demo started: narration is stamped with the time since. */
  started = Date.now();
  private readonly log: string[] = [];
  private last = '';
  private snapshot: Snapshot = { policies: [], collections: [], budgets: [] };
  readonly tty: boolean;
  readonly steps: Step[];
  header = '';

  constructor(kubeconfigPath: string, observer: MilvusClient, steps: Step[], tty: boolean) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    this.http = new KubeHttp(kc);
    this.observer = observer;
    this.steps = steps;
    this.tty = tty;
  }

  elapsed(): string {
    const s = (Date.now() - this.started) / 1000;
    return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  }

  /** One line of narration: printed at once without a terminal, kept under the table with one. */
  say(line: string): void {
    const stamped = `[${this.elapsed().padStart(5)}] ${line}`;
    this.log.push(stamped);
    if (this.log.length > 8) this.log.shift();
    if (!this.tty) process.stdout.write(`${stamped}\n`);
    else this.draw();
  }

  async refresh(): Promise<void> {
    try {
      this.snapshot = await this.read();
    } catch (e: unknown) {
      this.snapshot = { ...this.snapshot, error: (e as Error).message };
    }
    this.draw();
  }

  private async read(): Promise<Snapshot> {
    const [pols, buds, states] = await Promise.all([
      this.http.call<{ items: PolicyObject[] }>('GET', policiesPath()),
      this.http.call<{ items: BudgetObject[] }>('GET', budgetsPath),
      milvusStates(this.observer),
    ]);
    const policies = pols.body.items.map((p) => {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      return {
        ref: `${p.metadata.namespace ?? ''}/${p.metadata.name}`,
        state: p.spec.state ?? 'Loaded',
        effective: p.status?.effectiveState ?? '-',
        loaded: p.status?.loadedSummary ?? '-',
        ready: ready?.status ?? '-',
        reason: ready?.reason ?? '',
      };
    });
    const collections = [...states.entries()].map(([name, milvus]) => {
      const owners = pols.body.items.flatMap((p) => (p.status?.collections ?? []).filter((c) => c.name === name).map((c) => `${p.metadata.name}: ${c.state}`));
      return { name, milvus, policy: owners.length > 0 ? owners.join(', ') : '(no policy: the operator never touches it)' };
    });
    const budgets = buds.body.items.map((b) => `${b.metadata.name}: ${b.status?.used ?? '?'} of ${b.spec.memoryLimit} used by ${b.status?.loadedCollections ?? 0} loaded collection(s), ${b.status?.deferredCount ?? 0} deferred`);
    return { policies, collections, budgets };
  }

  private table(): string[] {
    const s = this.snapshot;
    const pad = (cells: readonly string[], widths: readonly number[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    const pw = [Math.max(6, ...s.policies.map((p) => p.ref.length)), 8, 9, 6, 5, 0];
    const cw = [Math.max(10, ...s.collections.map((c) => c.name.length)), 9, 0];
    const mark: Readonly<Record<StepState, string>> = { waiting: '·', running: '…', done: '✓', failed: '✗' };
    return [
      pad(['POLICY', 'STATE', 'EFFECTIVE', 'LOADED', 'READY', 'REASON'], pw),
      ...s.policies.map((p) => pad([p.ref, p.state, p.effective, p.loaded, p.ready, p.reason], pw)),
      '',
      pad(['COLLECTION', 'IN MILVUS', 'POLICY STATUS'], cw),
      ...s.collections.map((c) => pad([c.name, c.milvus, c.policy], cw)),
      '',
      ...s.budgets.map((b) => `BUDGET ${b}`),
      ...(s.error ? [`(last read failed: ${s.error})`] : []),
      '',
      'STEPS',
      ...this.steps.map((st, i) => `  ${mark[st.state]} ${i + 1} ${st.title.padEnd(8)} ${st.detail}`.trimEnd()),
    ];
  }

  private draw(): void {
    if (!this.tty) {
      // Without a terminal: one compact line whenever what Milvus or the policies show changed.
      const s = this.snapshot;
      const line = `milvus: ${s.collections.map((c) => `${c.name}=${c.milvus}`).join(' ')} | policies: ${s.policies.map((p) => `${p.ref} ${p.loaded} Ready=${p.ready}`).join(', ')}`;
      if (s.collections.length > 0 && line !== this.last) {
        this.last = line;
        process.stdout.write(`[${this.elapsed().padStart(5)}] ${line}\n`);
      }
      return;
    }
    const lines = [`milvus-load-operator demo · ${this.elapsed()} · ${this.header}`, '', ...this.table(), '', ...this.log, '', 'Ctrl-C stops the operator, Milvus Lite, kube-apiserver and etcd, and removes their files.'];
    // Home, each line cleared to its end, then everything below: no flicker.
    process.stdout.write(`\u001b[H${lines.map((l) => `${l}\u001b[K`).join('\n')}\n\u001b[J`);
  }
}
