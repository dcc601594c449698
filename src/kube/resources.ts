// The writes the operator makes, and the one read outside the informers
// (Secrets, which it may only `get`: no list or watch, least privilege).
import { BUDGET_PLURAL, GROUP, POLICY_PLURAL, VERSION } from '../api/constants.ts';
import { isKubeError, type KubeHttp } from './http.ts';

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

/** Decoded data of a Secret, or undefined when it does not exist. */
export async function getSecret(http: KubeHttp, namespace: string, name: string): Promise<SecretData | undefined> {
  try {
    const { body } = await http.call<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
    return Object.fromEntries(Object.entries(body.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
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
