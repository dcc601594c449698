// One Milvus client per (instance, credentials), reused across reconciles
// and closed when no policy uses it any more. Credentials come only from a
// Secret in the policy's own namespace; they are read with `get` on every
// reconcile (no list/watch: least privilege), so a rotated Secret takes
// effect within one resync. Secret values never leave this file except
// inside the SDK's connection settings.
import { createHash } from 'node:crypto';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { KubePort } from '../kube/port.ts';
import { redact } from '../log/logger.ts';
import type { ConnectionSettings, MilvusPort } from '../milvus/port.ts';
import type { ObservationFailure } from '../planner/types.ts';

export type PortFactory = (settings: ConnectionSettings) => MilvusPort;

export type Resolved = { ok: true; settings: ConnectionSettings; credentialKey: string } | ({ ok: false } & ObservationFailure);

function hostPort(uri: string): string {
  const u = new URL(uri);
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || '19530'}`;
}

export async function resolveConnection(kube: Pick<KubePort, 'getSecret'>, policy: CollectionLoadPolicy): Promise<Resolved> {
  const m = policy.spec.milvus;
  const ns = policy.metadata.namespace ?? 'default';
  const tls = m.uri.startsWith('https://');
  const settings: { -readonly [K in keyof ConnectionSettings]: ConnectionSettings[K] } = { address: hostPort(m.uri), tls, timeoutMs: (m.timeoutSeconds ?? 30) * 1000 };
  const parts: string[] = [settings.address, String(tls)];
  if (m.credentialsSecret) {
    const name = m.credentialsSecret.name;
    const data = await kube.getSecret(ns, name);
    if (!data) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} (spec.milvus.credentialsSecret) does not exist; create it with key token, or keys username and password` };
    if (data.token) {
      settings.token = data.token;
      redact(data.token);
    } else if (data.username && data.password) {
      settings.username = data.username;
      settings.password = data.password;
      redact(data.password);
    } else {
      return { ok: false, reason: 'SecretInvalid', message: `Secret ${ns}/${name} has neither key token nor both keys username and password; add them` };
    }
    parts.push(createHash('sha256').update(JSON.stringify([data.token ?? '', data.username ?? '', data.password ?? ''])).digest('hex'));
  }
  if (m.tls?.caSecret) {
    const { name, key = 'ca.crt' } = m.tls.caSecret;
    const data = await kube.getSecret(ns, name);
    const pem = data?.[key];
    if (!pem) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} with key ${key} (spec.milvus.tls.caSecret) does not exist; create it with the PEM CA bundle` };
    if (!pem.includes('BEGIN CERTIFICATE')) return { ok: false, reason: 'SecretInvalid', message: `Secret ${ns}/${name} key ${key} is not a PEM certificate bundle` };
    settings.caPem = pem;
    parts.push(createHash('sha256').update(pem).digest('hex'));
  }
  if (m.tls?.serverName) settings.serverName = m.tls.serverName;
  parts.push(String(settings.timeoutMs), settings.serverName ?? '');
  // The key names the credentials without containing them.
  const credentialKey = createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);
  return { ok: true, settings, credentialKey };
}

export class ConnectionPool {
  private readonly ports = new Map<string, MilvusPort>();
  private readonly factory: PortFactory;

  constructor(factory: PortFactory) {
    this.factory = factory;
  }

  get(credentialKey: string, settings: ConnectionSettings): MilvusPort {
    let p = this.ports.get(credentialKey);
    if (!p) {
      p = this.factory(settings);
      this.ports.set(credentialKey, p);
    }
    return p;
  }

  /** Closes clients of `instance` whose key is not in `used`. */
  async retain(prefix: string, used: ReadonlySet<string>): Promise<void> {
    for (const [key, port] of this.ports) {
      if (key.startsWith(prefix) && !used.has(key)) {
        this.ports.delete(key);
        await port.close();
      }
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.ports.values()];
    this.ports.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  size(): number {
    return this.ports.size;
  }
}
