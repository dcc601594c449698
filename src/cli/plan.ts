// `milvus-load-operator plan`: what the operator would do now, and why, like
// `terraform plan`. It runs the operator's own pass (controller/pass.ts:
// resolve, observe, probe, plan) and stops before act and report:
// it sends Milvus read-only calls only and never writes to Kubernetes. The
// Milvus port it gets is wrapped so that a load or release throws.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { CollectionLoadBudget } from '../api/budget.ts';
import { API_VERSION, BUDGET_KIND, GROUP, POLICY_KIND } from '../api/constants.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { safeMessage } from '../api/display.ts';
import { formatBytes } from '../api/quantity.ts';
import { validateBudget, validatePolicy } from '../api/resources.ts';
import { ConnectionPool, resolveConnection, type PortFactory, type Resolved } from '../controller/connections.ts';
import { EstimateCache } from '../controller/observe.ts';
import { instanceOf, observeAndPlan } from '../controller/pass.ts';
import { RetryBook } from '../controller/retry-book.ts';
import { isKubeError, KubeHttp } from '../kube/http.ts';
import { kubePort } from '../kube/port.ts';
import { budgetsPath, policiesPath } from '../kube/resources.ts';
import { createSdkPort } from '../milvus/sdk-adapter.ts';
import type { ConnectionSettings, MilvusPort } from '../milvus/port.ts';
import { estimateOf } from '../planner/estimate.ts';
import { selects } from '../planner/select.ts';
import type { MilvusAction, ObservedCollection, ObservedDatabase, Plan, PolicyDraft, PolicyInput } from '../planner/types.ts';
import { commonFlags, outputFlag, parseCommandLine, UsageError, type FlagSpecs, type Output } from './flags.ts';
import { parseManifest, readStdin, type SourceRead } from './manifests.ts';
import { formatText as formatFindings, readSources, validateSources, type Source } from './validate.ts';

export const PLAN_HELP = `Usage: milvus-load-operator plan [-f FILE|DIR|- ...] [flags]

Shows what the operator would do now, and why, without changing anything:
no load or release is sent to Milvus (read-only calls only) and nothing is
written to Kubernetes.

Where the policies come from:
  -f, --filename F     manifests: a file, a directory (*.yaml, *.yml, *.json) or - for
                       standard input (repeatable); checked as \`validate\` does
  (no -f)              the cluster's CollectionLoadPolicies and -Budgets
  --kubeconfig PATH    kubeconfig [KUBECONFIG, else ~/.kube/config, else in-cluster]
  -n, --namespace NS   show the policies of this namespace (default: the context's,
                       else "default"); they are planned together with every other
                       namespace's, as conflicts and budgets span namespaces.
                       With -f: the namespace of policies that name none
  -A, --all-namespaces policies of every namespace (no -f only)

Milvus is read live at each policy's spec.milvus.uri. The Secrets a policy
names (spec.milvus.credentialsSecret, tls.caSecret) are read from the cluster
(get only) when a kubeconfig is available, unless one of these is given:
  --token TOKEN        Milvus token ("user:password" or an API key) for every
                       policy that names a credentials Secret; without a
                       kubeconfig, MLO_MILVUS_TOKEN is used when set
  --ca-file PATH       PEM CA bundle for every policy that names tls.caSecret
Without either, and without a cluster, such a policy is shown as "? problem".

Output:
  -o, --output F       text (default) or json
  -v, --verbose        also list collections that need nothing ("= nothing")
  --no-color           no colour (colour is used only on a terminal, and never with NO_COLOR set)
  --at TIME            plan as if it were TIME (RFC 3339, e.g. 2026-12-01T08:00:00Z): schedules
  --detailed-exitcode  exit 3 when changes are pending (as terraform's -detailed-exitcode)

Lines:
  + load      the operator would load the collection
  - release   the operator would release it
  ~ refresh   a refresh load (new value of the milvusload.io/refresh annotation)
  ! defer     wanted loaded, but not now: over the budget, or outside the schedule windows
  x conflict  another policy selects it and wins; this policy's wish is ignored
  ? problem   cannot be planned: Milvus or a Secret unreadable, collection missing, load failed
  = nothing   already as wanted (only with -v)

Exit codes: 0 planned (with --detailed-exitcode: planned, no changes pending),
1 failure (invalid manifest, Kubernetes or Milvus unreachable, a Secret
unreadable: the plan is incomplete), 2 usage error, 3 changes pending (only
with --detailed-exitcode).
`;

export type ChangeOp = 'load' | 'release' | 'refresh' | 'defer' | 'conflict' | 'problem' | 'nothing';

export interface PlannedChange {
  readonly op: ChangeOp;
  readonly database: string;
  readonly collection: string;
  /** namespace/name of the policy the line is about (for conflicts: the loser). */
  readonly policy: string;
  /** The planner's reason (action reason, or the status reason). */
  readonly reason: string;
  /** Why, in words: the planner's status message. */
  readonly message: string;
  readonly memoryBytes?: number;
  readonly partitions?: readonly string[];
}

export interface PolicyNote {
  readonly policy: string;
  readonly effectiveState: string;
  readonly nextScheduleChange?: string;
  /** Why the policy could not be planned at all (MilvusUnavailable, SecretNotFound, InvalidSpec...). */
  readonly problem?: { readonly reason: string; readonly message: string };
  readonly frozen?: string;
}

export interface BudgetView {
  readonly name: string;
  readonly preemption?: string;
  /** Undefined when the budget cannot be computed (Milvus not fully observed, duplicate budget). */
  readonly limitBytes?: number;
  readonly loadedNowBytes?: number;
  readonly requestedBytes?: number;
  readonly requestedCount?: number;
  readonly releasedBytes?: number;
  readonly releasedCount?: number;
  readonly admittedBytes?: number;
  readonly freeBytes?: number;
  readonly deferredBytes?: number;
  readonly deferredCount?: number;
  readonly note?: string;
}

export interface InstanceView {
  readonly instance: string;
  readonly changes: readonly PlannedChange[];
  readonly policies: readonly PolicyNote[];
  readonly budgets: readonly BudgetView[];
}

export interface PlanSummary {
  load: number;
  release: number;
  refresh: number;
  defer: number;
  conflict: number;
  problem: number;
  nothing: number;
}

export interface PlanReport {
  /** The instant planned for (RFC 3339). */
  readonly at: string;
  readonly source: 'files' | 'cluster';
  /** Set for -n: the namespace shown (the plan itself took every visible policy into account). */
  readonly namespace?: string;
  /** Listing every namespace was forbidden: policies of other namespaces were not seen. */
  readonly narrowed?: boolean;
  readonly instances: readonly InstanceView[];
  readonly summary: PlanSummary;
  /** Some load, release or refresh would be sent. */
  readonly changesPending: boolean;
  /** False when some policy could not be planned because Milvus, Kubernetes or a Secret could not be read. */
  readonly complete: boolean;
}

interface PlanFlags {
  inputs: string[];
  kubeconfig?: string;
  namespace?: string;
  allNamespaces: boolean;
  output: Output;
  verbose: boolean;
  color: boolean;
  detailedExitcode: boolean;
  /** From MLO_MILVUS_TOKEN: used when there is no cluster to read Secrets from. */
  token?: string;
  /** From --token: used instead of the cluster's Secrets. */
  tokenFlag?: string;
  caFile?: string;
  at?: number;
}

export interface PlanDeps {
  readonly portFactory: PortFactory;
  readonly now: () => number;
  /** Standard input for `-f -`, read with a size cap. */
  readonly stdin: () => SourceRead;
  readonly env: NodeJS.ProcessEnv;
  /** Whether standard output is a terminal (colour). */
  readonly isTTY: boolean;
}

const defaultDeps = (): PlanDeps => ({
  portFactory: createSdkPort,
  now: () => Date.now(),
  stdin: readStdin,
  env: process.env,
  isTTY: process.stdout.isTTY,
});

// ---------------------------------------------------------------- flags

const PLAN_OPTIONS = {
  ...commonFlags('help', 'filename', 'kubeconfig', 'output'),
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  verbose: { type: 'boolean', short: 'v' },
  'no-color': { type: 'boolean' },
  'detailed-exitcode': { type: 'boolean' },
  token: { type: 'string' },
  'ca-file': { type: 'string' },
  at: { type: 'string' },
} as const satisfies FlagSpecs;

function atFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) throw new UsageError(`--at ${v}: give an RFC 3339 time such as 2026-12-01T08:00:00Z`);
  return t;
}

export function parsePlanFlags(argv: readonly string[], env: NodeJS.ProcessEnv, isTTY: boolean): PlanFlags {
  const v = parseCommandLine('plan', argv, PLAN_OPTIONS);
  const token = env.MLO_MILVUS_TOKEN;
  const at = atFlag(v.at);
  const flags: PlanFlags = {
    inputs: v.filename ?? [],
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    allNamespaces: v['all-namespaces'] ?? false,
    output: outputFlag(v.output),
    verbose: v.verbose ?? false,
    color: !v['no-color'] && isTTY && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb',
    detailedExitcode: v['detailed-exitcode'] ?? false,
    ...(token ? { token } : {}),
    ...(v.token !== undefined ? { tokenFlag: v.token } : {}),
    ...(v['ca-file'] !== undefined ? { caFile: v['ca-file'] } : {}),
    ...(at !== undefined ? { at } : {}),
  };
  if (flags.allNamespaces && flags.inputs.length > 0) throw new UsageError('-A/--all-namespaces reads policies from the cluster; it cannot be combined with -f');
  if (flags.allNamespaces && flags.namespace) throw new UsageError('give either -n NAMESPACE or -A, not both');
  return flags;
}

// ---------------------------------------------------------------- inputs

interface Inputs {
  readonly policies: CollectionLoadPolicy[];
  readonly budgets: CollectionLoadBudget[];
}

class ManifestError extends Error {}

/** Policies and budgets from manifests; invalid manifests fail with validate's report. */
export function readManifests(sources: readonly Source[], defaultNamespace: string): Inputs {
  const report = validateSources(sources, false);
  if (report.findings.length > 0) throw new ManifestError(`${formatFindings(report)}plan: fix the manifests above first (milvus-load-operator validate -f ... checks them)\n`);
  const out: Inputs = { policies: [], budgets: [] };
  for (const source of sources) {
    const parsed = 'text' in source ? parseManifest(source.text) : undefined;
    for (const doc of parsed?.ok ? parsed.documents : []) {
      const v: unknown = doc.value;
      if (typeof v !== 'object' || v === null) continue;
      const d = v as { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: string } };
      if (typeof d.apiVersion !== 'string' || !d.apiVersion.startsWith(`${GROUP}/`)) continue;
      if (d.kind === POLICY_KIND) {
        const r = validatePolicy(v);
        if (r.ok) out.policies.push({ ...r.object, metadata: { ...r.object.metadata, namespace: r.object.metadata.namespace ?? defaultNamespace } });
      } else if (d.kind === BUDGET_KIND) {
        const r = validateBudget(v);
        if (r.ok) out.budgets.push(r.object);
      }
    }
  }
  return out;
}

/** The kubeconfig kubectl would use, or undefined when there is none. */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv): KubeConfig | undefined {
  const kc = new KubeConfig();
  try {
    if (path !== undefined) {
      if (!existsSync(path)) throw new UsageError(`--kubeconfig ${path}: no such file`);
      kc.loadFromFile(path);
      return kc;
    }
    if (env.KUBECONFIG || existsSync(join(env.HOME ?? homedir(), '.kube', 'config'))) {
      kc.loadFromDefault();
      return kc;
    }
  } catch (e: unknown) {
    if (e instanceof UsageError) throw e;
    throw new Error(`cannot read the kubeconfig${path ? ` ${path}` : ''}: ${(e as Error).message}`, { cause: e });
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
    kc.loadFromCluster();
    return kc;
  }
  return undefined;
}

function kubeFailure(e: unknown, what: string, server: string): Error {
  if (isKubeError(e, 'NotFound')) return new Error(`${what}: the milvusload.io CRDs are not installed in the cluster at ${server} (kubectl apply -f crds/)`);
  if ((isKubeError(e, 'Unauthorized') || isKubeError(e, 'Forbidden'))) return new Error(`${what}: the Kubernetes API at ${server} refused (${e.status} ${e.reason}): ${e.message}; use a kubeconfig allowed to list ${what}`);
  return new Error(`${what}: cannot reach the Kubernetes API at ${server}: ${(e as Error).message}; check --kubeconfig and that the cluster is up`);
}

/**
 * Policies and budgets from the cluster: lists, nothing else. Every
 * namespace's policies are read even for -n, because conflicts and budgets
 * span namespaces; only when listing them all is forbidden does plan fall
 * back to the one namespace (and says so).
 */
async function readCluster(http: KubeHttp, server: string, namespace: string | undefined): Promise<Inputs & { narrowed: boolean }> {
  const list = async <T>(path: string, what: string, kind: string): Promise<T[]> => {
    try {
      const { body } = await http.call<{ items?: Record<string, unknown>[] }>('GET', path);
      // List items of custom resources carry apiVersion and kind; set them anyway, validation needs them.
      return (body.items ?? []).map((o) => ({ apiVersion: API_VERSION, kind, ...o }) as T);
    } catch (e: unknown) {
      throw kubeFailure(e, what, server);
    }
  };
  let policies: CollectionLoadPolicy[];
  let narrowed = false;
  try {
    policies = await list<CollectionLoadPolicy>(policiesPath(), 'collectionloadpolicies', POLICY_KIND);
  } catch (e: unknown) {
    if (namespace === undefined || !/refused \(403/.test((e as Error).message)) throw e;
    policies = await list<CollectionLoadPolicy>(policiesPath(namespace), 'collectionloadpolicies', POLICY_KIND);
    narrowed = true;
  }
  return { policies, budgets: await list<CollectionLoadBudget>(budgetsPath, 'collectionloadbudgets', BUDGET_KIND), narrowed };
}

// ---------------------------------------------------------------- connections

type Resolver = (policy: CollectionLoadPolicy) => Promise<Resolved>;

/** No cluster: the Secrets a policy names come from --token / --ca-file, or the policy cannot be planned. */
export function offlineResolver(token: string | undefined, caPem: string | undefined): Resolver {
  // No Secrets at all: the policy passed to resolveConnection names none.
  const nowhere = { getSecret: () => Promise.resolve(undefined) };
  return async (policy) => {
    const m = policy.spec.milvus;
    const ns = policy.metadata.namespace ?? 'default';
    if (m.credentialsSecret && !token) {
      return { ok: false, reason: 'SecretUnreadable', message: `Secret ${ns}/${m.credentialsSecret.name} (spec.milvus.credentialsSecret) cannot be read: no kubeconfig; give --kubeconfig, or the Milvus token with --token or MLO_MILVUS_TOKEN` };
    }
    if (m.tls?.caSecret && !caPem) {
      return { ok: false, reason: 'SecretUnreadable', message: `Secret ${ns}/${m.tls.caSecret.name} (spec.milvus.tls.caSecret) cannot be read: no kubeconfig; give --kubeconfig, or the CA bundle with --ca-file` };
    }
    const { credentialsSecret: _secret, tls: _tls, ...plain } = m;
    const r = await resolveConnection(nowhere, { ...policy, spec: { ...policy.spec, milvus: plain } });
    if (!r.ok) return r;
    const settings: ConnectionSettings = {
      ...r.settings,
      ...(m.credentialsSecret && token ? { token } : {}),
      ...(m.tls?.caSecret && caPem ? { caPem } : {}),
      ...(m.tls?.serverName ? { serverName: m.tls.serverName } : {}),
    };
    const marks = `${m.credentialsSecret ? 'token' : ''}${m.tls?.caSecret ? '+ca' : ''}`;
    return { ok: true, settings, credentialKey: `${r.credentialKey}${marks}` };
  };
}

function clusterResolver(http: KubeHttp): Resolver {
  return async (policy) => {
    try {
      return await resolveConnection(kubePort(http), policy);
    } catch (e: unknown) {
      const ns = policy.metadata.namespace ?? 'default';
      return { ok: false, reason: 'SecretUnreadable', message: `cannot read a Secret in namespace ${ns}: ${(e as Error).message}; plan needs get on secrets there` };
    }
  };
}

/** A port that refuses to change anything: plan must never load or release, whatever a bug elsewhere does. */
export function readOnly(port: MilvusPort): MilvusPort {
  const refuse = (what: string) => (): Promise<never> => Promise.reject(new Error(`plan never calls ${what}: this is a bug in milvus-load-operator plan`));
  return { ...port, load: refuse('load'), release: refuse('release'), close: () => port.close() };
}

// ---------------------------------------------------------------- observe + plan

export interface InstancePlan {
  readonly instance: string;
  readonly inputs: readonly PolicyInput[];
  readonly budgets: readonly CollectionLoadBudget[];
  readonly observed: ReadonlyMap<string, ObservedDatabase>;
  readonly plan: Plan;
}

/**
 * Observes Milvus (read-only) and plans, per instance, with the very pass
 * `run` executes (controller/pass.ts), its acting and reporting left out.
 */
export async function planInstances(src: Inputs, resolve: Resolver, factory: PortFactory, now: number): Promise<InstancePlan[]> {
  const byInstance = new Map<string, { policies: CollectionLoadPolicy[]; budgets: CollectionLoadBudget[] }>();
  const bucket = (key: string): { policies: CollectionLoadPolicy[]; budgets: CollectionLoadBudget[] } => {
    let b = byInstance.get(key);
    if (!b) byInstance.set(key, (b = { policies: [], budgets: [] }));
    return b;
  };
  for (const p of src.policies) bucket(instanceOf(p.spec.milvus.uri)).policies.push(p);
  for (const b of src.budgets) bucket(instanceOf(b.spec.milvusUri)).budgets.push(b);
  const pool = new ConnectionPool((settings) => readOnly(factory(settings)));
  const shared = { resolve, pool, book: new RetryBook(), cache: new EstimateCache() };
  try {
    // Instances in parallel: one that does not answer costs its timeout once, not once per instance.
    const sorted = [...byInstance.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return await Promise.all(
      sorted.map(async ([instance, { policies, budgets }]): Promise<InstancePlan> => {
        const r = await observeAndPlan(shared, { instance, policies, budgets, now });
        return { instance, inputs: r.ins.inputs, budgets, observed: r.observed, plan: r.plan };
      }),
    );
  } finally {
    await pool.closeAll();
  }
}

// ---------------------------------------------------------------- view

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function observedOf(ip: InstancePlan, observationKey: string, name: string): ObservedCollection | undefined {
  const db = ip.observed.get(observationKey);
  return db?.ok ? db.collections.get(name) : undefined;
}

function actionFor(p: Plan, ref: string, database: string, name: string): MilvusAction | undefined {
  return p.actions.find((a): a is MilvusAction => (a.kind === 'load' || a.kind === 'release') && a.policy === ref && a.database === database && a.collection === name);
}

/** A scheduled policy outside its windows whose collection is not loaded: the load waits for the window. */
function waitsForWindow(d: PolicyDraft): boolean {
  return d.policy.spec.schedule !== undefined && (d.policy.spec.state ?? 'Loaded') === 'Loaded' && d.effectiveState === 'Released' && !d.frozen && !d.policy.metadata.deletionTimestamp;
}

function changesOf(ip: InstancePlan, d: PolicyDraft): PlannedChange[] {
  const database = d.policy.spec.milvus.database ?? 'default';
  return (d.entries ?? []).map((e): PlannedChange => {
    const base = { database, collection: e.name, policy: d.ref, ...(e.memoryBytes !== undefined ? { memoryBytes: e.memoryBytes } : {}) };
    const a = actionFor(ip.plan, d.ref, database, e.name);
    if (a) {
      const op: ChangeOp = a.kind === 'release' ? 'release' : a.refresh ? 'refresh' : 'load';
      return { ...base, op, reason: a.reason, message: e.message, ...(a.partitions ? { partitions: a.partitions } : {}) };
    }
    if (e.state === 'Deferred') return { ...base, op: 'defer', reason: e.reason, message: e.message };
    if (e.state === 'Conflict') return { ...base, op: 'conflict', reason: e.reason, message: e.message };
    if (e.state === 'NotFound' || e.state === 'Failed') return { ...base, op: 'problem', reason: e.reason, message: e.message };
    if (e.state === 'Released' && waitsForWindow(d)) {
      const when = d.nextScheduleChange !== undefined ? `; it loads at ${iso(d.nextScheduleChange)}` : '';
      return { ...base, op: 'defer', reason: 'OutsideSchedule', message: `outside the schedule windows${when}` };
    }
    return { ...base, op: 'nothing', reason: e.reason, message: d.frozen && e.reason !== 'HeldByOtherPolicy' ? `${e.message}; ${d.frozen.message}` : e.message };
  });
}

function noteOf(d: PolicyDraft): PolicyNote {
  const blocker = d.blockers[0];
  const problem = blocker ?? (d.entries?.length === 0 ? { reason: 'NothingSelected', message: 'no collection matches spec.selector' } : undefined);
  return {
    policy: d.ref,
    effectiveState: d.effectiveState,
    ...(d.nextScheduleChange !== undefined ? { nextScheduleChange: iso(d.nextScheduleChange) } : {}),
    ...(problem ? { problem: { reason: problem.reason, message: problem.message } } : {}),
    ...(d.frozen ? { frozen: d.frozen.message } : {}),
  };
}

function budgetViews(ip: InstancePlan, changes: readonly PlannedChange[]): BudgetView[] {
  return ip.plan.budgets.map((bd): BudgetView => {
    const budget = ip.budgets.find((b) => b.metadata.name === bd.name);
    const preemption = budget?.spec.preemption ?? 'LowerPriority';
    const s = bd.status;
    if (!s) return { name: bd.name, preemption, note: 'not computed: some policy of this Milvus could not be observed' };
    if (s.ready.reason === 'DuplicateBudget') return { name: bd.name, preemption, note: s.ready.message };
    const sum = (op: ChangeOp): { bytes: number; count: number } => {
      const of = changes.filter((c) => c.op === op);
      return { bytes: of.reduce((n, c) => n + (c.memoryBytes ?? estimateFor(ip, c) ?? 0), 0), count: of.length };
    };
    const requested = sum('load');
    const released = sum('release');
    const deferred = s.deferred ?? [];
    return {
      name: bd.name,
      preemption,
      limitBytes: s.limitBytes,
      loadedNowBytes: loadedNow(ip),
      requestedBytes: requested.bytes,
      requestedCount: requested.count,
      releasedBytes: released.bytes,
      releasedCount: released.count,
      admittedBytes: s.usedBytes,
      freeBytes: Math.max(0, (s.limitBytes ?? 0) - (s.usedBytes ?? 0)),
      deferredBytes: deferred.reduce((n, d) => n + (d.memoryBytes ?? 0), 0),
      deferredCount: s.deferredCount ?? deferred.length,
    };
  });
}

function estimateFor(ip: InstancePlan, c: PlannedChange): number | undefined {
  const input = ip.inputs.find((i) => `${i.policy.metadata.namespace ?? ''}/${i.policy.metadata.name}` === c.policy);
  const o = input ? observedOf(ip, input.observationKey, c.collection) : undefined;
  return input && o ? estimateOf(input.policy, o)?.bytes : undefined;
}

/** Estimated memory of what is loaded or loading now among the collections the policies select (each counted once). */
function loadedNow(ip: InstancePlan): number {
  const seen = new Set<string>();
  let total = 0;
  for (const input of ip.inputs) {
    const db = ip.observed.get(input.observationKey);
    if (!db?.ok) continue;
    for (const o of db.collections.values()) {
      const key = `${input.observationKey}/${o.name}`;
      if (o.loadState === 'NotLoad' || seen.has(key) || !selects(input.policy, o.name)) continue;
      seen.add(key);
      total += estimateOf(input.policy, o)?.bytes ?? 0;
    }
  }
  return total;
}

const OP_ORDER: Readonly<Record<ChangeOp, number>> = { load: 0, refresh: 1, release: 2, defer: 3, conflict: 4, problem: 5, nothing: 6 };

export function viewOf(ip: InstancePlan): InstanceView {
  const changes = ip.plan.policies
    .flatMap((d) => changesOf(ip, d))
    .sort((a, b) => a.database.localeCompare(b.database) || a.collection.localeCompare(b.collection) || OP_ORDER[a.op] - OP_ORDER[b.op] || a.policy.localeCompare(b.policy));
  return { instance: ip.instance, changes, policies: ip.plan.policies.map(noteOf), budgets: budgetViews(ip, changes) };
}

/** Only what concerns the policies of one namespace (planned with all of them). */
export function scopeTo(instances: readonly InstanceView[], namespace: string): InstanceView[] {
  const mine = (ref: string): boolean => ref.startsWith(`${namespace}/`);
  return instances
    .filter((i) => i.policies.some((p) => mine(p.policy)))
    .map((i) => ({ ...i, changes: i.changes.filter((c) => mine(c.policy)), policies: i.policies.filter((p) => mine(p.policy)) }));
}

export function buildReport(instances: readonly InstanceView[], at: number, source: PlanReport['source'], scope?: { namespace: string; narrowed: boolean }): PlanReport {
  const summary: PlanSummary = { load: 0, release: 0, refresh: 0, defer: 0, conflict: 0, problem: 0, nothing: 0 };
  for (const i of instances) for (const c of i.changes) summary[c.op]++;
  const blocked = instances.flatMap((i) => i.policies).filter((p) => p.problem && p.problem.reason !== 'NothingSelected');
  summary.problem += blocked.length;
  // A live policy with an invalid spec is a fact of the cluster, planned as "the operator does nothing"; anything unread makes the plan incomplete.
  const complete = blocked.every((p) => p.problem?.reason === 'InvalidSpec');
  return {
    at: iso(at),
    source,
    ...(scope ? { namespace: scope.namespace, ...(scope.narrowed ? { narrowed: true } : {}) } : {}),
    instances,
    summary,
    changesPending: summary.load + summary.release + summary.refresh > 0,
    complete,
  };
}

// ---------------------------------------------------------------- render

const SYMBOL: Readonly<Record<ChangeOp, string>> = { load: '+', release: '-', refresh: '~', defer: '!', conflict: 'x', problem: '?', nothing: '=' };
const COLOR: Readonly<Record<ChangeOp, string>> = { load: '32', release: '31', refresh: '33', defer: '33', conflict: '35', problem: '31', nothing: '2' };

export interface RenderOptions {
  readonly color: boolean;
  readonly verbose: boolean;
}

function paint(on: boolean, code: string, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** Memory as people read it: 41Gi, 1.5Mi, 600B. */
const human = (n: number): string => `${formatBytes(n)}${n > 0 && n < 1024 ? 'B' : ''}`;

function renderBudget(b: BudgetView, o: RenderOptions): string[] {
  const head = `  budget ${b.name}${b.preemption ? ` (preemption ${b.preemption})` : ''}`;
  if (b.limitBytes === undefined) return [`${head}: ${b.note ?? 'not computed'}`];
  const row = (label: string, bytes: number, rest: string): string => `    ${label.padEnd(18)}${human(bytes).padStart(8)}  ${rest}`.trimEnd();
  const lines = [
    `${head}: limit ${human(b.limitBytes)}`,
    row('loaded now', b.loadedNowBytes ?? 0, 'estimated, of the selected collections'),
    row('+ requested', b.requestedBytes ?? 0, plural(b.requestedCount ?? 0, 'new load')),
    row('- released', b.releasedBytes ?? 0, plural(b.releasedCount ?? 0, 'release')),
    row('= admitted', b.admittedBytes ?? 0, `of ${human(b.limitBytes)}; ${human(b.freeBytes ?? 0)} left`),
  ];
  if ((b.deferredCount ?? 0) > 0) lines.push(paint(o.color, COLOR.defer, row('! deferred', b.deferredBytes ?? 0, `${plural(b.deferredCount ?? 0, 'collection')} ${(b.deferredCount ?? 0) === 1 ? 'does' : 'do'} not fit`)));
  return lines;
}

function renderInstance(i: InstanceView, o: RenderOptions): string[] {
  const lines = [paint(o.color, '1', `Milvus ${i.instance}`)];
  // One line per distinct problem: an unreachable Milvus is one fact, however many policies it blocks.
  const problems = new Map<string, string[]>();
  for (const p of i.policies) {
    const when = p.nextScheduleChange ? `, until ${p.nextScheduleChange}` : '';
    if (p.problem) {
      const key = `${p.problem.reason}: ${p.problem.message}`;
      problems.set(key, [...(problems.get(key) ?? []), p.policy]);
    } else if (o.verbose) lines.push(paint(o.color, COLOR.nothing, safeMessage(`  = ${p.policy}: wants ${p.effectiveState}${when}${p.frozen ? `; ${p.frozen}` : ''}`)));
  }
  // Names and messages come from Milvus and manifests: escaped, so they cannot drive the terminal.
  for (const [problem, refs] of problems) lines.push(paint(o.color, COLOR.problem, safeMessage(`  ? ${refs.length === 1 ? refs[0] : `${refs.length} policies (${refs.join(', ')})`}: ${problem}`)));
  const shown = i.changes.filter((c) => o.verbose || c.op !== 'nothing');
  const target = (c: PlannedChange): string => `${c.database}/${c.collection}${c.partitions ? ` [${c.partitions.join(',')}]` : ''}`;
  const wTarget = Math.max(0, ...shown.map((c) => target(c).length));
  const wPolicy = Math.max(0, ...shown.map((c) => c.policy.length));
  for (const c of shown) {
    const mem = c.memoryBytes !== undefined && (c.op === 'load' || c.op === 'defer') ? ` [est. ${human(c.memoryBytes)}]` : '';
    const text = `  ${SYMBOL[c.op]} ${c.op.padEnd(8)} ${target(c).padEnd(wTarget)}  ${c.policy.padEnd(wPolicy)}  ${c.reason}: ${c.message}${mem}`;
    lines.push(paint(o.color, COLOR[c.op], safeMessage(text)));
  }
  if (shown.length === 0 && i.policies.every((p) => !p.problem)) lines.push('  no changes');
  for (const b of i.budgets) lines.push(...renderBudget(b, o));
  return lines;
}

export function summaryLine(s: PlanSummary): string {
  const refresh = s.refresh > 0 ? `, ${s.refresh} to refresh` : '';
  return `Plan: ${s.load} to load${refresh}, ${s.release} to release, ${s.defer} deferred, ${plural(s.conflict, 'conflict')}.`;
}

export function renderText(r: PlanReport, o: RenderOptions): string {
  const from = r.source === 'files' ? 'the manifests given' : r.namespace ? `namespace ${r.namespace} of the cluster` : 'the cluster';
  const lines = [`Plan at ${r.at} for the policies in ${from}; nothing is changed.`, ''];
  if (r.narrowed) lines.push(`Note: listing policies of every namespace is forbidden, so conflicts with and budget use by other namespaces are not in this plan.`, '');
  if (r.instances.length === 0) lines.push(`No CollectionLoadPolicy or CollectionLoadBudget found in ${from}.`, '');
  for (const i of r.instances) lines.push(...renderInstance(i, o), '');
  if (!r.changesPending && r.complete) lines.push('No changes: Milvus is as the policies want it.');
  lines.push(paint(o.color, '1', summaryLine(r.summary)));
  if (!r.complete) lines.push(paint(o.color, COLOR.problem, `Incomplete: ${plural(r.summary.problem, 'line')} marked ? could not be planned; see the reasons above.`));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- command

interface Gathered {
  readonly inputs: Inputs;
  readonly resolve: Resolver;
  readonly source: PlanReport['source'];
  readonly scope?: { namespace: string; narrowed: boolean };
}

function fromFiles(flags: PlanFlags, deps: PlanDeps, kc: KubeConfig | undefined): Gathered {
  const caPem = flags.caFile === undefined ? undefined : readCa(flags.caFile);
  const sources = readSources(flags.inputs, deps.stdin);
  const inputs = readManifests(sources, flags.namespace ?? contextNamespace(kc));
  const needsSecrets = inputs.policies.some((p) => p.spec.milvus.credentialsSecret || p.spec.milvus.tls?.caSecret);
  // Secrets from the cluster when there is one, unless --token / --ca-file say otherwise.
  const explicit = flags.tokenFlag !== undefined || caPem !== undefined;
  const resolve = kc && needsSecrets && !explicit ? clusterResolver(new KubeHttp(kc)) : offlineResolver(flags.tokenFlag ?? flags.token, caPem);
  return { inputs, resolve, source: 'files' };
}

function contextNamespace(kc: KubeConfig | undefined): string {
  return (kc ? kc.getContextObject(kc.getCurrentContext())?.namespace : undefined) ?? 'default';
}

async function gather(flags: PlanFlags, deps: PlanDeps): Promise<Gathered> {
  const kc = loadKubeConfig(flags.kubeconfig, deps.env);
  if (flags.inputs.length > 0) return fromFiles(flags, deps, kc);
  if (!kc) throw new UsageError('no -f and no kubeconfig: give manifests with -f FILE|DIR|-, or a cluster with --kubeconfig / KUBECONFIG');
  const http = new KubeHttp(kc);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? contextNamespace(kc));
  const { narrowed, ...inputs } = await readCluster(http, kc.getCurrentCluster()?.server ?? '', namespace);
  return { inputs, resolve: clusterResolver(http), source: 'cluster', ...(namespace === undefined ? {} : { scope: { namespace, narrowed } }) };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new UsageError(`--ca-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function planCommand(argv: readonly string[], overrides: Partial<PlanDeps> = {}): Promise<{ code: number; out: string }> {
  const deps = { ...defaultDeps(), ...overrides };
  const flags = parsePlanFlags(argv, deps.env, deps.isTTY);
  const now = flags.at ?? deps.now();
  let gathered;
  try {
    gathered = await gather(flags, deps);
  } catch (e: unknown) {
    if (e instanceof ManifestError) return { code: 1, out: e.message };
    throw e;
  }
  const plans = await planInstances(gathered.inputs, gathered.resolve, deps.portFactory, now);
  const views = plans.map(viewOf);
  const report = buildReport(gathered.scope ? scopeTo(views, gathered.scope.namespace) : views, now, gathered.source, gathered.scope);
  const out = flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, { color: flags.color, verbose: flags.verbose });
  if (!report.complete) return { code: 1, out };
  return { code: flags.detailedExitcode && report.changesPending ? 3 : 0, out };
}
