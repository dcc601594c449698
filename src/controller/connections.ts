// One Milvus client per (instance, credentials), reused across reconciles
// and closed when no policy uses it any more. Credentials come only from a
// Secret in the policy's own namespace; they are read with `get` on every
// reconcile (no list/watch: least privilege), so a rotated Secret takes
// effect within one resync. They are sent only to endpoints the Secret's
// owner or the cluster administrator allowed (credential-scope.ts,
// docs/adr/0008); a refused policy never gets a connection. Secret values
// never leave this file except inside the SDK's connection settings.
import { createHash } from 'node:crypto';
import { DEFAULT_MILVUS_PORT, explicitPort } from '../api/instance.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import type { KubePort } from '../kube/port.ts';
import { redact, type Logger } from '../log/logger.ts';
import { MilvusError } from '../milvus/errors.ts';
import type { ConnectionSettings, MilvusPort } from '../milvus/port.ts';
import type { ObservationFailure } from '../planner/types.ts';
import { decideCredentialUse, NO_ENDPOINTS, type EndpointList } from './credential-scope.ts';

export type PortFactory = (settings: ConnectionSettings) => MilvusPort;

export type Resolved = { ok: true; settings: ConnectionSettings; credentialKey: string } | ({ ok: false } & ObservationFailure);

/** The address to dial: the port written in the URI (`:80` and `:443` too, which URL hides), else Milvus's 19530. */
function hostPort(uri: string): string {
  const u = new URL(uri);
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${explicitPort(uri, u) ?? DEFAULT_MILVUS_PORT}`;
}

type SecretReader = Pick<KubePort, 'getSecret'>;
type Settings = { -readonly [K in keyof ConnectionSettings]: ConnectionSettings[K] };
type Failure = { ok: false } & ObservationFailure;

/** Adds the credentials to `settings` when the Secret may go to the policy's endpoint; returns a fingerprint for the pool key, or why not. */
async function addCredentials(kube: SecretReader, policy: CollectionLoadPolicy, settings: Settings, operatorAllowed: EndpointList): Promise<string | Failure> {
  const m = policy.spec.milvus;
  const ns = policy.metadata.namespace ?? 'default';
  const name = m.credentialsSecret?.name ?? '';
  const secret = await kube.getSecret(ns, name);
  if (!secret) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} (spec.milvus.credentialsSecret) does not exist; create it with key token, or keys username and password` };
  // Before the keys are even looked at: a refused policy learns nothing about the Secret's content.
  const decision = decideCredentialUse({ uri: m.uri, secret: `${ns}/${name}`, annotations: secret.annotations, operatorAllowed });
  if (!decision.allowed) return { ok: false, reason: decision.reason, message: decision.message };
  const data = secret.data;
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
  return createHash('sha256').update(JSON.stringify([data.token ?? '', data.username ?? '', data.password ?? ''])).digest('hex');
}

/**
 * Adds the CA bundle to `settings`. Not bound to endpoints: a CA bundle is
 * public, and it is only used here, to check the server, never sent
 * (docs/adr/0008).
 */
async function addCa(kube: SecretReader, ns: string, ref: { name: string; key?: string }, settings: Settings): Promise<string | Failure> {
  const { name, key = 'ca.crt' } = ref;
  const pem = (await kube.getSecret(ns, name))?.data[key];
  if (!pem) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} with key ${key} (spec.milvus.tls.caSecret) does not exist; create it with the PEM CA bundle` };
  if (!pem.includes('BEGIN CERTIFICATE')) return { ok: false, reason: 'SecretInvalid', message: `Secret ${ns}/${name} key ${key} is not a PEM certificate bundle` };
  settings.caPem = pem;
  return createHash('sha256').update(pem).digest('hex');
}

/**
 * The connection settings of a policy, with its credentials when their
 * Secret may go to the policy's endpoint. `operatorAllowed` is what
 * --allowed-milvus-endpoints allows for every Secret.
 */
export async function resolveConnection(kube: SecretReader, policy: CollectionLoadPolicy, operatorAllowed: EndpointList = NO_ENDPOINTS): Promise<Resolved> {
  const m = policy.spec.milvus;
  const tls = m.uri.startsWith('https://');
  const settings: Settings = { address: hostPort(m.uri), tls, timeoutMs: (m.timeoutSeconds ?? 30) * 1000 };
  const parts: string[] = [settings.address, String(tls)];
  if (m.credentialsSecret) {
    const r = await addCredentials(kube, policy, settings, operatorAllowed);
    if (typeof r !== 'string') return r;
    parts.push(r);
  }
  if (m.tls?.caSecret) {
    const r = await addCa(kube, policy.metadata.namespace ?? 'default', m.tls.caSecret, settings);
    if (typeof r !== 'string') return r;
    parts.push(r);
  }
  if (m.tls?.serverName) settings.serverName = m.tls.serverName;
  parts.push(String(settings.timeoutMs), settings.serverName ?? '');
  // The key names the credentials without containing them.
  const credentialKey = createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);
  return { ok: true, settings, credentialKey };
}

const CONCEALED: Partial<Record<MilvusError['reason'], string>> = {
  MilvusUnavailable: 'no connection to Milvus (the operator log has the details at debug level)',
  MilvusTimeout: 'Milvus did not answer in time (the operator log has the details at debug level)',
};

/**
 * A port whose connection failures carry no socket details (addresses,
 * ECONNREFUSED, DNS errors): statuses are read by whoever may read the
 * policy, and must not tell them what the operator's pod can reach. The
 * reason stays; the raw error goes to the log at debug level.
 */
export function concealTransportErrors(port: MilvusPort, address: string, log: Logger): MilvusPort {
  const wrapped: Record<string, unknown> = {};
  const proto = Object.getPrototypeOf(port) as object;
  for (const name of [...Object.keys(port), ...Object.getOwnPropertyNames(proto)]) {
    const f = (port as unknown as Record<string, unknown>)[name];
    if (name === 'constructor' || name === 'close' || typeof f !== 'function') continue;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await (f as (...a: unknown[]) => Promise<unknown>).apply(port, args);
      } catch (e: unknown) {
        const generic = e instanceof MilvusError ? CONCEALED[e.reason] : undefined;
        if (!generic || !(e instanceof MilvusError)) throw e;
        log.debug('Milvus connection failure (kept out of statuses)', { address, method: e.method, reason: e.reason, error: e.message });
        throw new MilvusError(e.method, e.reason, e.kind, generic, e.code);
      }
    };
  }
  wrapped.close = () => port.close();
  return wrapped as unknown as MilvusPort;
}

export interface PoolOptions {
  /** --allowed-milvus-endpoints, for every Secret. */
  readonly allowedEndpoints?: EndpointList;
  /** Given: connection failures are concealed in statuses and logged here (concealTransportErrors). */
  readonly log?: Logger;
}

export class ConnectionPool {
  /** Clients by instance, then by credentials fingerprint. */
  private readonly ports = new Map<string, Map<string, MilvusPort>>();
  private readonly factory: PortFactory;
  private readonly log: Logger | undefined;
  /** Endpoints the cluster administrator allows for every Secret: pass to resolveConnection. */
  readonly allowedEndpoints: EndpointList;

  constructor(factory: PortFactory, options: PoolOptions = {}) {
    this.factory = factory;
    this.log = options.log;
    this.allowedEndpoints = options.allowedEndpoints ?? NO_ENDPOINTS;
  }

  /** The client of `instance` for these credentials (`credentialKey`), made on first use. */
  get(instance: string, credentialKey: string, settings: ConnectionSettings): MilvusPort {
    let clients = this.ports.get(instance);
    if (!clients) this.ports.set(instance, (clients = new Map<string, MilvusPort>()));
    let p = clients.get(credentialKey);
    if (!p) {
      const made = this.factory(settings);
      p = this.log ? concealTransportErrors(made, settings.address, this.log) : made;
      clients.set(credentialKey, p);
    }
    return p;
  }

  /** Closes the clients of `instance` whose credentials no policy used in its last pass. */
  async retain(instance: string, usedCredentials: ReadonlySet<string>): Promise<void> {
    const clients = this.ports.get(instance);
    if (!clients) return;
    for (const [key, port] of clients) {
      if (usedCredentials.has(key)) continue;
      clients.delete(key);
      await port.close();
    }
    if (clients.size === 0) this.ports.delete(instance);
  }

  async closeAll(): Promise<void> {
    const all = [...this.ports.values()].flatMap((clients) => [...clients.values()]);
    this.ports.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  size(): number {
    let n = 0;
    for (const clients of this.ports.values()) n += clients.size;
    return n;
  }
}
