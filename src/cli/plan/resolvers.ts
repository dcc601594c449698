// How plan reaches each policy's Milvus: the Secrets a policy names come from
// the cluster (get only), or from --token / --ca-file when there is none.
import type { CollectionLoadPolicy } from '../../api/policy.ts';
import { resolveConnection, type Resolved } from '../../controller/connections.ts';
import type { KubeHttp } from '../../kube/http.ts';
import { kubePort } from '../../kube/port.ts';
import type { ConnectionSettings } from '../../milvus/port.ts';

export type Resolver = (policy: CollectionLoadPolicy) => Promise<Resolved>;

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

export function clusterResolver(http: KubeHttp): Resolver {
  return async (policy) => {
    try {
      return await resolveConnection(kubePort(http), policy);
    } catch (e: unknown) {
      const ns = policy.metadata.namespace ?? 'default';
      return { ok: false, reason: 'SecretUnreadable', message: `cannot read a Secret in namespace ${ns}: ${(e as Error).message}; plan needs get on secrets there` };
    }
  };
}
