// Which Milvus instance a URI names. Policies and budgets are grouped by this
// key, and it is the controller's work-queue key.

const CLUSTER_SUFFIXES = ['.svc.cluster.local', '.svc.cluster.local.', '.svc'];
export const DEFAULT_MILVUS_PORT = 19530;

/** Node's URL, or undefined for text it does not parse (instead of its TypeError). */
export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch (e: unknown) {
    if (e instanceof TypeError) return undefined;
    throw e;
  }
}

/**
 * Normalizes a Milvus URI to `host:port`: the scheme does not matter, the port
 * defaults to 19530, the host is lower-cased, and the in-cluster DNS suffixes
 * `.svc` / `.svc.cluster.local` are dropped, so `http://milvus.milvus.svc:19530`
 * and `https://milvus.milvus.svc.cluster.local` are the same instance.
 * Returns `undefined` for something that is not a URI. Every URI the schema's
 * MILVUS_URI pattern accepts has a key (see test/api/milvus-uri.test.ts).
 */
export function instanceKey(uri: string): string | undefined {
  const url = parseUrl(uri);
  if (!url) return undefined;
  let host = url.hostname.toLowerCase();
  if (host === '') return undefined;
  for (const suffix of CLUSTER_SUFFIXES) {
    if (host.endsWith(suffix)) {
      host = host.slice(0, -suffix.length);
      break;
    }
  }
  return `${host}:${explicitPort(uri, url) ?? DEFAULT_MILVUS_PORT}`;
}

/**
 * The port written in the URI. `URL` hides a port equal to the scheme's
 * default (`http://milvus:80` has `port === ''`), but for Milvus only 19530 is
 * the default, so `:80` and `:443` must be read from the text.
 */
export function explicitPort(uri: string, url: URL): number | undefined {
  if (url.port !== '') return Number(url.port);
  const written = /^[a-z]+:\/\/(\[[^\]]*\]|[^/:]*):([0-9]+)\/?$/i.exec(uri.trim());
  return written?.[2] === undefined ? undefined : Number(written[2]);
}
