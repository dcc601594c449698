// The benchmark workload, one function of its size: databases of
// `perDatabase` collections, policies that select 10 collections each (by
// names, or one glob for every fifth policy), 70% Loaded and 30% Released,
// with some collections already in the wanted state and some not, so the
// operator has loads, releases and no-ops to do from a cold start.
import { API_VERSION, POLICY_KIND } from '../src/api/constants.ts';
import type { SimulatorState } from '../test/simulator/index.ts';

export const COLLECTIONS_PER_POLICY = 10;
export const NAMESPACE = 'bench';

export interface LayoutOptions {
  readonly policies: number;
  /** Collections per database (1,000 in the full bench: 100 policies per database). */
  readonly perDatabase?: number;
  /** Extra never-selected collections per database for the latency scenario (`lat_0`, `lat_1`, ...). */
  readonly latencyCollections?: number;
  /** Credentials Secrets the policies share, round robin (none by default). */
  readonly credentialSecrets?: number;
  /** Every policy's spec.idle (the usage scenario); none by default. */
  readonly idle?: IdlePlan;
}

/** spec.idle as the usage scenario writes it. */
export interface IdlePlan {
  readonly releaseAfter: string;
  readonly overrideLoaded?: boolean;
  readonly loadOnUse?: boolean;
}

export interface PolicyPlan {
  readonly name: string;
  readonly database: string;
  readonly state: 'Loaded' | 'Released';
  /** The collections it selects, whatever the selector form. */
  readonly collections: readonly string[];
  readonly selector: { names: string[] } | { patterns: string[] };
  /** Collections already loaded before the operator starts. */
  readonly preloaded: readonly string[];
  /** Its spec.milvus.credentialsSecret, if any. */
  readonly secret?: string;
  readonly idle?: IdlePlan;
}

export interface Layout {
  readonly policies: readonly PolicyPlan[];
  readonly databases: readonly string[];
  readonly collections: number;
  readonly perDatabase: number;
  /** Latency-scenario collections: name and database, none selected by `policies`. */
  readonly latency: readonly { name: string; database: string }[];
  /** Names of the credentials Secrets the policies use. */
  readonly secrets: readonly string[];
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function makeLayout(o: LayoutOptions): Layout {
  const perDatabase = Math.min(o.perDatabase ?? 1000, o.policies * COLLECTIONS_PER_POLICY);
  const groupsPerDb = Math.max(1, Math.floor(perDatabase / COLLECTIONS_PER_POLICY));
  const policies: PolicyPlan[] = [];
  const secrets = Array.from({ length: o.credentialSecrets ?? 0 }, (_, k) => `milvus-credentials-${pad(k, 3)}`);
  const databases: string[] = [];
  for (let i = 0; i < o.policies; i++) {
    const dbIndex = Math.floor(i / groupsPerDb);
    const database = `db_${pad(dbIndex, 3)}`;
    if (databases[databases.length - 1] !== database) databases.push(database);
    const group = pad(i % groupsPerDb, 3);
    const collections = Array.from({ length: COLLECTIONS_PER_POLICY }, (_, d) => `c_${group}_${d}`);
    const state = i % 10 < 7 ? 'Loaded' : 'Released';
    // Loaded policies: 3 of 10 already loaded (7 loads to do); Released: 2 of 10 loaded (2 releases to do).
    const preloaded = collections.slice(0, state === 'Loaded' ? 3 : 2);
    policies.push({
      name: `p-${pad(i, 5)}`,
      database,
      state,
      collections,
      selector: i % 5 === 0 ? { patterns: [`c_${group}_*`] } : { names: collections },
      preloaded,
      ...(secrets.length > 0 ? { secret: secrets[i % secrets.length] } : {}),
      ...(o.idle ? { idle: o.idle } : {}),
    });
  }
  const latency: { name: string; database: string }[] = [];
  for (let k = 0; k < (o.latencyCollections ?? 0); k++) latency.push({ name: `lat_${k}`, database: databases[k % databases.length] ?? 'db_000' });
  return { policies, databases, collections: o.policies * COLLECTIONS_PER_POLICY, perDatabase, latency, secrets };
}

/** Creates every collection of the layout in the simulator and loads the pre-loaded ones (no RPCs). */
export function seedSimulator(state: SimulatorState, layout: Layout): void {
  for (const p of layout.policies) {
    for (const c of p.collections) state.createCollection(p.database, c, { rows: 1000, dim: 8 });
    for (const c of p.preloaded) state.loadDirectly(p.database, c);
  }
  for (const l of layout.latency) state.createCollection(l.database, l.name, { rows: 1000, dim: 8 });
}

export function policyManifest(p: PolicyPlan, uri: string): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: POLICY_KIND,
    metadata: { name: p.name, namespace: NAMESPACE },
    spec: { milvus: { uri, database: p.database, ...(p.secret ? { credentialsSecret: { name: p.secret } } : {}) }, selector: p.selector, state: p.state, ...(p.idle ? { idle: p.idle } : {}) },
  };
}

/** A token Secret that its owner allows to be sent to the simulator at `address` (host:port; loopback, so plain http is allowed). */
export function secretManifest(name: string, address: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NAMESPACE, annotations: { 'milvusload.io/allowed-endpoints': address } },
    stringData: { token: `bench-token-${name}` },
  };
}

/** Policy for one latency apply: selects one collection nobody selected before. */
export function latencyPlan(k: number, target: { name: string; database: string }): PolicyPlan {
  return { name: `lat-${pad(k, 4)}`, database: target.database, state: 'Loaded', collections: [target.name], selector: { names: [target.name] }, preloaded: [] };
}

interface PolicyLike {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    effectiveState?: string;
    loadedSummary?: string;
    conditions?: { type: string; status: string }[];
  };
}

/** Whether a policy's status says what the layout wants: current generation, effective state, Ready, loaded/matched. */
export function statusCorrect(obj: PolicyLike, plan: PolicyPlan): boolean {
  const s = obj.status;
  if (!s || s.observedGeneration === undefined || s.observedGeneration !== obj.metadata.generation) return false;
  if (s.effectiveState !== plan.state) return false;
  if (s.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
  const n = plan.collections.length;
  return s.loadedSummary === (plan.state === 'Loaded' ? `${n}/${n}` : `0/${n}`);
}

/** Collections whose load state in the simulator differs from what their policy wants. */
export function milvusMismatches(state: SimulatorState, plans: readonly PolicyPlan[]): string[] {
  const wrong: string[] = [];
  for (const p of plans) {
    for (const name of p.collections) {
      const s = state.loadState(state.collection(p.database, name));
      if ((p.state === 'Loaded') !== (s === 'LoadStateLoaded')) wrong.push(`${p.database}/${name}: ${s}, want ${p.state}`);
    }
  }
  return wrong;
}
