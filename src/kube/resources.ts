// The writes the operator makes, and the one read outside the informers
// (Secrets, which it may only `get`: no list or watch, least privilege).
// OPERATOR_API_CALLS below lists every call the operator makes; deploy/
// grants exactly that (test/deploy/rbac.test.ts), and src/kube/api-calls.test.ts
// records the requests this folder really sends and compares them with it.
import { BUDGET_PLURAL, GROUP, POLICY_PLURAL, VERSION } from '../api/constants.ts';
import { isKubeError, type KubeHttp } from './http.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface ApiUse {
  /** API group; '' is the core group. */
  readonly group: string;
  /** Plural resource, with `/subresource` where one is used. */
  readonly resource: string;
  readonly verbs: readonly Verb[];
}

/**
 * Every Kubernetes API call of `milvus-load-operator run`, per resource, as
 * RBAC sees it. The `plan` command is not here: it runs with its user's own
 * credentials, never the operator's.
 */
export const OPERATOR_API_CALLS: readonly ApiUse[] = [
  // Informers (informer.ts): list, then watch. Finalizers (setFinalizers): a merge patch of
  // metadata; after a Conflict, the policy is read again by name (port.ts getPolicy).
  { group: GROUP, resource: POLICY_PLURAL, verbs: ['get', 'list', 'watch', 'patch'] },
  { group: GROUP, resource: `${POLICY_PLURAL}/status`, verbs: ['patch'] },
  { group: GROUP, resource: BUDGET_PLURAL, verbs: ['list', 'watch'] },
  { group: GROUP, resource: `${BUDGET_PLURAL}/status`, verbs: ['patch'] },
  // getSecret: one named Secret at a time, never a list.
  { group: '', resource: 'secrets', verbs: ['get'] },
  // recordEvent: a new Event each time (no count updates).
  { group: '', resource: 'events', verbs: ['create'] },
  // leader.ts: read, create and renew (update) the one Lease.
  { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'] },
];

/** The API group, and the path after `/api/v1` or `/apis/{group}/{version}` without its namespace; undefined for a path outside both. */
function groupAndResourcePath(pathname: string): { group: string; rest: string[] } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const at = parts[0] === 'api' ? { group: '', rest: parts.slice(2) } : parts[0] === 'apis' ? { group: parts[1] ?? '', rest: parts.slice(3) } : undefined;
  if (!at) return undefined;
  const namespaced = at.rest[0] === 'namespaces' && at.rest.length > 2;
  return namespaced ? { group: at.group, rest: at.rest.slice(2) } : at;
}

const VERB_OF_METHOD: ReadonlyMap<string, Verb> = new Map([
  ['POST', 'create'],
  ['PUT', 'update'],
  ['PATCH', 'patch'],
  ['DELETE', 'delete'],
]);

/** A GET is a watch, a get (of one named object) or a list; every other method has one verb. */
function verbOf(method: string, named: boolean, watch: boolean): Verb {
  if (method !== 'GET') return VERB_OF_METHOD.get(method) ?? 'get';
  if (watch) return 'watch';
  return named ? 'get' : 'list';
}

/**
 * What RBAC checks for a request (the apiserver's RequestInfo): group,
 * resource (with subresource) and verb, from the method and path.
 */
export function requestAttributes(method: string, path: string, watch = false): { group: string; resource: string; verb: Verb } {
  const url = new URL(path, 'http://apiserver');
  const resourcePath = groupAndResourcePath(url.pathname);
  if (!resourcePath) throw new Error(`not a resource path: ${path}`);
  const { group, rest } = resourcePath;
  const [resource = '', name, sub] = rest;
  const isWatch = watch || ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb: verbOf(method, name !== undefined, isWatch) };
}

const base = `/apis/${GROUP}/${VERSION}`;
const MERGE = 'application/merge-patch+json';

export const policiesPath = (namespace?: string): string => (namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${POLICY_PLURAL}` : `${base}/${POLICY_PLURAL}`);
export const budgetsPath = `${base}/${BUDGET_PLURAL}`;

/**
 * A merge patch that makes `status` equal `next`: keys that `previous` had and
 * `next` lacks are set to null, so nothing stale survives.
 */
export function statusPatch(previous: object | undefined, next: object): { status: Record<string, unknown> } {
  const out: Record<string, unknown> = { ...next };
  for (const k of Object.keys(previous ?? {})) if (!(k in next)) out[k] = null;
  return { status: out };
}

export async function patchPolicyStatus(http: KubeHttp, namespace: string, name: string, previous: object | undefined, next: object): Promise<void> {
  await http.call('PATCH', `${policiesPath(namespace)}/${encodeURIComponent(name)}/status`, statusPatch(previous, next), MERGE);
}

export async function patchBudgetStatus(http: KubeHttp, name: string, previous: object | undefined, next: object): Promise<void> {
  await http.call('PATCH', `${budgetsPath}/${encodeURIComponent(name)}/status`, statusPatch(previous, next), MERGE);
}

/** Sets the finalizer list, guarded by resourceVersion (409 Conflict when stale). */
export async function setFinalizers(http: KubeHttp, namespace: string, name: string, resourceVersion: string, finalizers: string[]): Promise<void> {
  await http.call('PATCH', `${policiesPath(namespace)}/${encodeURIComponent(name)}`, { metadata: { resourceVersion, finalizers } }, MERGE);
}

export type SecretData = Record<string, string>;

export interface SecretObject {
  /** Decoded values. */
  readonly data: SecretData;
  /** The Secret's annotations (where its owner says where it may be sent). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A Secret with its data decoded, or undefined when it does not exist. */
export async function getSecret(http: KubeHttp, namespace: string, name: string): Promise<SecretObject | undefined> {
  try {
    const { body } = await http.call<{ data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
    return {
      data: Object.fromEntries(Object.entries(body.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      annotations: body.metadata?.annotations ?? {},
    };
  } catch (e: unknown) {
    if (isKubeError(e, 'NotFound')) return undefined;
    throw e;
  }
}

export interface EventTarget {
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

/** Records a core/v1 Event on the object. Messages must never carry credentials. */
export interface EventRecord {
  readonly target: EventTarget;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly now: Date;
}

export async function recordEvent(http: KubeHttp, ev: EventRecord): Promise<void> {
  const { target, type, reason, message } = ev;
  const ts = ev.now.toISOString();
  await http.call('POST', `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/events`, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${target.name}.`, namespace: target.namespace },
    involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: target.kind, namespace: target.namespace, name: target.name, uid: target.uid, resourceVersion: target.resourceVersion },
    reason,
    message: message.slice(0, 1024),
    type,
    source: { component: 'milvus-load-operator' },
    reportingComponent: 'milvus-load-operator',
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  });
}
