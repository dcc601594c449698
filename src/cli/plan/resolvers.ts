// How plan reaches each policy's Milvus: the Secrets a policy names come from
// the cluster (get only), or from --token / --ca-file when there is none.
import type { CollectionLoadPolicy } from '../../api/policy.ts';
import { resolveConnection, type Resolved } from '../../controller/connections.ts';
import type { KubeHttp } from '../../kube/http.ts';
import { kubePort } from '../../kube/port.ts';
import type { ConnectionSettings } from '../../milvus/port.ts';

export type Resolver = (policy: CollectionLoadPolicy) => Promise<Resolved>;

type MilvusSpec = CollectionLoadPolicy['spec']['milvus'];
type Unresolved = Extract<Resolved, { ok: false }>;

function unreadable(policy: CollectionLoadPolicy, secret: string, field: string, remedy: string): Unresolved {
  const ns = policy.metadata.namespace ?? 'default';
  return { ok: false, reason: 'SecretUnreadable', message: `Secret ${ns}/${secret} (${field}) cannot be read: no kubeconfig; give --kubeconfig, or ${remedy}` };
}

/** A Secret the policy names that no flag stands in for: the policy cannot be planned. */
function missingStandIn(policy: CollectionLoadPolicy, token: string | undefined, caPem: string | undefined): Unresolved | undefined {
  const m = policy.spec.milvus;
  if (m.credentialsSecret && !token) return unreadable(policy, m.credentialsSecret.name, 'spec.milvus.credentialsSecret', 'the Milvus token with --token or MLO_MILVUS_TOKEN');
  if (m.tls?.caSecret && !caPem) return unreadable(policy, m.tls.caSecret.name, 'spec.milvus.tls.caSecret', 'the CA bundle with --ca-file');
  return undefined;
}

/** The flags' values where the policy names a Secret, and the policy's own TLS server name. */
function standIns(m: MilvusSpec, token: string | undefined, caPem: string | undefined): Partial<ConnectionSettings> {
  return {
    ...(m.credentialsSecret && token ? { token } : {}),
    ...(m.tls?.caSecret && caPem ? { caPem } : {}),
    ...(m.tls?.serverName ? { serverName: m.tls.serverName } : {}),
  };
}

/** No cluster: the Secrets a policy names come from --token / --ca-file, or the policy cannot be planned. */
export function offlineResolver(token: string | undefined, caPem: string | undefined): Resolver {
  // No Secrets at all: the policy passed to resolveConnection names none.
  const nowhere = { getSecret: () => Promise.resolve(undefined) };
  return async (policy) => {
    const missing = missingStandIn(policy, token, caPem);
    if (missing) return missing;
    const m = policy.spec.milvus;
    const { credentialsSecret: _secret, tls: _tls, ...plain } = m;
    const r = await resolveConnection(nowhere, { ...policy, spec: { ...policy.spec, milvus: plain } });
    if (!r.ok) return r;
    // Connections with and without stand-ins are pooled apart.
    const marks = `${m.credentialsSecret ? 'token' : ''}${m.tls?.caSecret ? '+ca' : ''}`;
    return { ok: true, settings: { ...r.settings, ...standIns(m, token, caPem) }, credentialKey: `${r.credentialKey}${marks}` };
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
