// Step 1 of a pass: every policy of the instance, validated, with its
// connection resolved from its Secrets and its memory of failed attempts.
// One bad policy becomes a problem on that policy, never a failed pass.
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { validatePolicy } from '../api/resources.ts';
import { formatFieldError } from '../api/validate.ts';
import type { KubePort } from '../kube/port.ts';
import type { MilvusPort } from '../milvus/port.ts';
import { policyRef } from '../planner/rank.ts';
import { type PolicyInput, observationKeyOf, type ObservationKey } from '../planner/types.ts';
import { resolveConnection, type ConnectionPool, type Resolved } from './connections.ts';
import type { EndpointList } from './credential-scope.ts';
import { databaseOf } from './cells.ts';
import { jsonEqual } from './json-equal.ts';
import type { PassMemory } from './pass-memory.ts';

/** `namespace/name` of a policy. */
export type PolicyKey = string;

/** One database as seen with one set of credentials: observed once per pass. */
export interface ObservationGroup {
  readonly port: MilvusPort;
  readonly database: string;
  /** The credentials' fingerprint (ConnectionPool key). */
  readonly credentials: string;
}

export interface Inputs {
  readonly inputs: PolicyInput[];
  readonly byRef: ReadonlyMap<PolicyKey, CollectionLoadPolicy>;
  /** By observation key (credentials + database). */
  readonly groups: ReadonlyMap<ObservationKey, ObservationGroup>;
  /** Pool keys in use, so the pool closes the others. */
  /** Credentials fingerprints this pass used, for ConnectionPool.retain. */
  readonly usedCredentials: ReadonlySet<string>;
}

/** A policy's connection settings from its Secrets, or why there are none. */
export type Resolver = (policy: CollectionLoadPolicy) => Promise<Resolved>;

export interface InputSources {
  /** Made per pass: see `secretResolver`. */
  readonly resolve: Resolver;
  readonly pool: ConnectionPool;
  readonly memory: PassMemory;
  /** These policies' URIs cannot be parsed: report that, connect nowhere. */
  readonly unparsable: boolean;
}

const UNRESOLVED = (db: string): ObservationKey => observationKeyOf('(unresolved)', db);

/**
 * Reads each distinct Secret once per pass, however many policies name it
 * (1,000 policies sharing one Secret are one GET, not 1,000). A pass is
 * short; the next one reads again, so a rotation applies within a resync.
 */
function oncePerPass(kube: Pick<KubePort, 'getSecret'>): Pick<KubePort, 'getSecret'> {
  const seen = new Map<string, ReturnType<KubePort['getSecret']>>();
  return {
    getSecret(namespace, name) {
      const key = `${namespace}\u0000${name}`;
      let p = seen.get(key);
      if (!p) {
        p = kube.getSecret(namespace, name);
        seen.set(key, p);
      }
      return p;
    },
  };
}

/** The operator's resolver for one pass: Secrets from the cluster, each read once, sent only where allowed. */
export function secretResolver(kube: Pick<KubePort, 'getSecret'>, allowed: EndpointList): Resolver {
  const secrets = oncePerPass(kube);
  return (policy) => resolveConnection(secrets, policy, allowed);
}

/** A policy's validation: its problems, and the defaults validation added that the cached object lacks. */
interface Checked {
  readonly problems: readonly string[];
  /** The policy with those defaults; absent: the informer's object is used as it is. */
  readonly defaulted?: CollectionLoadPolicy;
}

const NO_PROBLEMS: Checked = { problems: [] };

/**
 * Validation of each informer object, done once per object: the informer
 * keeps the same object until it changes (a new resourceVersion is a new
 * object), so a steady-state pass re-validates nothing (with 1,000 policies
 * that was a sixth of a pass). Weakly held: a replaced object drops out.
 * The apiserver has applied the schema's defaults already, so validation
 * usually changes nothing, and then no copy is kept (10,000 policies: about
 * 10 MiB of copied specs in a heap snapshot before).
 */
const validated = new WeakMap<CollectionLoadPolicy, Checked>();

function validateOnce(raw: CollectionLoadPolicy): Checked {
  let c = validated.get(raw);
  if (!c) {
    // Without the status: validation does not read it, and a defaulted copy would repeat it.
    const { status: _status, ...spec } = raw;
    const v = validatePolicy(spec);
    c = !v.ok ? { problems: v.errors.map(formatFieldError) } : jsonEqual(v.object, spec) ? NO_PROBLEMS : { problems: [], defaulted: v.object };
    validated.set(raw, c);
  }
  return c;
}

export async function resolveInputs(src: InputSources, instance: string, mine: readonly CollectionLoadPolicy[]): Promise<Inputs> {
  const usedCredentials = new Set<string>();
  const groups = new Map<ObservationKey, ObservationGroup>();
  const inputs = await Promise.all(
    mine.map(async (raw): Promise<PolicyInput> => {
      const checked = validateOnce(raw);
      const policy = checked.defaulted ? { ...checked.defaulted, status: raw.status } : raw;
      const { problems } = checked;
      const db = databaseOf(policy);
      const remembered = src.memory.recall(instance, raw);
      const base = { policy, ...(remembered ? { retries: remembered.retries, transitions: remembered.transitions } : {}) };
      if (src.unparsable) {
        const uri = problems.length > 0 ? problems : [`spec.milvus.uri: cannot be parsed as a URL; use http://host:port or https://host:port with a port from 1 to 65535`];
        return { ...base, problems: uri, observationKey: UNRESOLVED(db) };
      }
      let conn;
      try {
        conn = await src.resolve(policy);
      } catch (e: unknown) {
        return { ...base, problems, observationKey: UNRESOLVED(db), connectionFailure: { reason: 'SecretUnreadable', message: `cannot read the Secret: ${(e as Error).message}`, class: 'Retryable' } };
      }
      if (!conn.ok) return { ...base, problems, observationKey: UNRESOLVED(db), connectionFailure: { reason: conn.reason, message: conn.message, class: 'Terminal' } };
      usedCredentials.add(conn.credentialKey);
      const observationKey = observationKeyOf(conn.credentialKey, db);
      if (!groups.has(observationKey)) groups.set(observationKey, { port: src.pool.get(instance, conn.credentialKey, conn.settings), database: db, credentials: conn.credentialKey });
      return { ...base, problems, observationKey };
    }),
  );
  return { inputs, byRef: new Map(mine.map((p) => [policyRef(p), p])), groups, usedCredentials };
}
