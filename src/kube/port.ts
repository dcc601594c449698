// The Kubernetes side of a reconcile, as a narrow port beside the Milvus
// one (DESIGN §2): the reconciler calls these and reads failures by kind
// (KubeApiError.kind), never by HTTP status. Unit tests fake it in memory.
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { isKubeError, type KubeHttp } from './http.ts';
import { getSecret, patchBudgetStatus, patchPolicyStatus, policiesPath, recordEvent, setFinalizers, type EventRecord, type SecretObject } from './resources.ts';

export interface KubePort {
  /** A Secret with its data decoded, and its annotations; undefined when it does not exist. */
  getSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** The policy as the API server has it now, or undefined when it is gone. */
  getPolicy(namespace: string, name: string): Promise<CollectionLoadPolicy | undefined>;
  patchPolicyStatus(namespace: string, name: string, previous: object | undefined, next: object): Promise<void>;
  patchBudgetStatus(name: string, previous: object | undefined, next: object): Promise<void>;
  /** Sets the finalizer list, guarded by resourceVersion (a Conflict when stale). */
  setFinalizers(namespace: string, name: string, resourceVersion: string, finalizers: string[]): Promise<void>;
  recordEvent(ev: EventRecord): Promise<void>;
}

export function kubePort(http: KubeHttp): KubePort {
  return {
    getSecret: (namespace, name) => getSecret(http, namespace, name),
    async getPolicy(namespace, name) {
      try {
        return (await http.call<CollectionLoadPolicy>('GET', `${policiesPath(namespace)}/${encodeURIComponent(name)}`)).body;
      } catch (e: unknown) {
        if (isKubeError(e, 'NotFound')) return undefined;
        throw e;
      }
    },
    patchPolicyStatus: (namespace, name, previous, next) => patchPolicyStatus(http, namespace, name, previous, next),
    patchBudgetStatus: (name, previous, next) => patchBudgetStatus(http, name, previous, next),
    setFinalizers: (namespace, name, resourceVersion, finalizers) => setFinalizers(http, namespace, name, resourceVersion, finalizers),
    recordEvent: (ev) => recordEvent(http, ev),
  };
}
