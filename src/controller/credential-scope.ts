// Where a Secret's credentials may be sent (docs/adr/0008). A policy author
// picks spec.milvus.uri, but may not be allowed to read the Secret the policy
// names: without this check the operator would hand any Secret of the
// namespace to any server the author points it at (a confused deputy). So
// the Secret's owner lists the endpoints it may go to, in an annotation on
// the Secret, or the cluster administrator allows endpoints for every Secret
// with --allowed-milvus-endpoints. Pure: no I/O, unit-tested on its own.
import { quoted } from '../api/display.ts';
import { instanceKey, parseUrl } from '../api/instance.ts';

export const ALLOWED_ENDPOINTS_ANNOTATION = 'milvusload.io/allowed-endpoints';
export const ALLOWED_ENDPOINTS_FLAG = '--allowed-milvus-endpoints';

/**
 * When plain http:// (no TLS) to an endpoint is allowed:
 * - `inCluster`: an entry without a scheme; TLS anywhere, plain http only to
 *   in-cluster names and loopback;
 * - `always`: an entry written `http://host:port`, the explicit opt-in;
 * - `never`: an entry written `https://host:port`.
 */
export type PlainHttp = 'inCluster' | 'always' | 'never';

export interface EndpointRule {
  /** Normalized `host:port`, as instanceKey() gives it. */
  readonly endpoint: string;
  readonly plainHttp: PlainHttp;
}

export interface EndpointList {
  readonly rules: readonly EndpointRule[];
  /** Entries that are not an endpoint, quoted as written (for the message that says to fix them). */
  readonly invalid: readonly string[];
}

export const NO_ENDPOINTS: EndpointList = { rules: [], invalid: [] };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** What an entry's scheme says about plain http; an entry with any other scheme is not an endpoint. */
const PLAIN_HTTP_OF_SCHEME: ReadonlyMap<string, PlainHttp> = new Map([
  ['http', 'always'],
  ['https', 'never'],
]);

/** host[:port] only: a path, query, user or password means a typo or a URL pasted whole. */
function isHostPortOnly(url: URL, afterScheme: string): boolean {
  return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '' && !/[/?#@]/.test(afterScheme);
}

function parseEntry(entry: string): EndpointRule | undefined {
  const scheme = SCHEME.exec(entry)?.[1]?.toLowerCase();
  const plainHttp = scheme === undefined ? 'inCluster' : PLAIN_HTTP_OF_SCHEME.get(scheme);
  if (plainHttp === undefined) return undefined;
  const uri = scheme === undefined ? `http://${entry}` : entry;
  const url = parseUrl(uri);
  if (!url || !isHostPortOnly(url, entry.slice(scheme === undefined ? 0 : scheme.length + 3))) return undefined;
  const endpoint = instanceKey(uri);
  return endpoint === undefined ? undefined : { endpoint, plainHttp };
}

/** Parses a comma- or whitespace-separated list of endpoints (`host`, `host:port`, `http://host:port`, `https://host:port`). */
export function parseEndpointList(text: string): EndpointList {
  const rules: EndpointRule[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,]+/)) {
    if (entry === '') continue;
    const rule = parseEntry(entry);
    if (rule) rules.push(rule);
    else invalid.push(entry);
  }
  return { rules, invalid };
}

const CLUSTER_SUFFIXES = ['.svc', '.svc.cluster.local', '.svc.cluster.local.'];

/**
 * A host that plain http may reach without an explicit opt-in: Service names
 * (`*.svc`, `*.svc.cluster.local`) and loopback. Everything else, bare names
 * and IP addresses included, may be outside the cluster.
 */
export function isInClusterHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h)) return true;
  return CLUSTER_SUFFIXES.some((s) => h.endsWith(s) && h.length > s.length);
}

export interface CredentialRequest {
  /** spec.milvus.uri of the policy. */
  readonly uri: string;
  /** `namespace/name` of the Secret, for messages. */
  readonly secret: string;
  /** The Secret's annotations. */
  readonly annotations: Readonly<Record<string, string>> | undefined;
  /** What --allowed-milvus-endpoints allows, for every Secret. */
  readonly operatorAllowed: EndpointList;
}

export type CredentialDecision =
  | { readonly allowed: true; readonly by: 'secret' | 'operator' }
  | { readonly allowed: false; readonly reason: 'CredentialsNotAllowed'; readonly message: string };

function refuse(message: string): CredentialDecision {
  return { allowed: false, reason: 'CredentialsNotAllowed', message };
}

function notListed(req: CredentialRequest, endpoint: string, own: EndpointList): string {
  const current = req.annotations?.[ALLOWED_ENDPOINTS_ANNOTATION];
  const [ns, name] = req.secret.split('/');
  const value = current === undefined || current.trim() === '' ? endpoint : `${current.trim()},${endpoint}`;
  const now = current === undefined ? 'it has no such annotation' : `it allows only ${quoted(current)}`;
  const bad = own.invalid.length > 0 ? `; these entries of the annotation are not host:port and are ignored: ${own.invalid.map(quoted).join(', ')}` : '';
  return (
    `Secret ${req.secret} (spec.milvus.credentialsSecret) is not allowed for ${endpoint} (${now}${bad}). ` +
    `If the Secret's owner means it for this Milvus, add the endpoint to the Secret: ` +
    `kubectl annotate secret -n ${ns} ${name} --overwrite ${ALLOWED_ENDPOINTS_ANNOTATION}=${quoted(value)}; ` +
    `or the cluster administrator adds ${endpoint} to the operator's ${ALLOWED_ENDPOINTS_FLAG}`
  );
}

function plainHttpRefused(req: CredentialRequest, endpoint: string, inCluster: boolean): string {
  if (inCluster) {
    return `Secret ${req.secret} (spec.milvus.credentialsSecret) is allowed for ${endpoint} over https:// only (entry ${quoted(`https://${endpoint}`)}); use https:// in spec.milvus.uri, or ask the Secret's owner to write ${quoted(endpoint)} instead`;
  }
  return (
    `Secret ${req.secret} (spec.milvus.credentialsSecret) would travel unencrypted over plain http:// to ${endpoint}, which is not a cluster Service name or loopback. ` +
    `Use https:// in spec.milvus.uri; or, to accept plain http for this endpoint, write ${quoted(`http://${endpoint}`)} ` +
    `in the Secret's annotation ${ALLOWED_ENDPOINTS_ANNOTATION} (or the administrator in ${ALLOWED_ENDPOINTS_FLAG})`
  );
}

/** May the credentials of `req.secret` be sent to `req.uri`? */
export function decideCredentialUse(req: CredentialRequest): CredentialDecision {
  const endpoint = instanceKey(req.uri);
  const url = parseUrl(req.uri);
  if (!url || endpoint === undefined) return refuse(`spec.milvus.uri is not a URI, so Secret ${req.secret} is sent nowhere; fix spec.milvus.uri`);
  const own = parseEndpointList(req.annotations?.[ALLOWED_ENDPOINTS_ANNOTATION] ?? '');
  const matching = [...own.rules.map((r) => ({ ...r, by: 'secret' as const })), ...req.operatorAllowed.rules.map((r) => ({ ...r, by: 'operator' as const }))].filter((r) => r.endpoint === endpoint);
  if (matching.length === 0) return refuse(notListed(req, endpoint, own));
  const tls = url.protocol === 'https:';
  const inCluster = isInClusterHost(url.hostname);
  const fit = matching.find((r) => (tls ? true : r.plainHttp === 'always' || (r.plainHttp === 'inCluster' && inCluster)));
  if (!fit) return refuse(plainHttpRefused(req, endpoint, inCluster));
  return { allowed: true, by: fit.by };
}
