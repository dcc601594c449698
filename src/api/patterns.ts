// Regular expressions shared by the schema (as OpenAPI `pattern`) and by the
// run-time parsers. Written in the subset of RE2/ECMAScript both engines accept.

/** Milvus collection, field and resource-group names: a letter or `_`, then letters, digits, `_`. */
export const MILVUS_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
/** Partition names are a little more liberal in Milvus (they may contain `-`). */
export const MILVUS_PARTITION_NAME = '^[A-Za-z_][A-Za-z0-9_-]*$';
/** Shell-style glob over collection names: `*`, `?`, `[abc]`, `[!abc]`, `[a-z]`. */
export const COLLECTION_GLOB = '^[A-Za-z0-9_*?\\[\\]!-]+$';
/** DNS-1123 subdomain, the shape of a Secret's name. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A key of a Secret's data. */
export const SECRET_KEY = '^[-._a-zA-Z0-9]+$';
// The pieces of MILVUS_URI. Each is exactly what the WHATWG URL parser (Node's
// `new URL`, which the operator uses) accepts, or stricter, so a URI that
// passes admission can always be turned into an instance key (issue 19).
const DNS_LABEL = '[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?';
/** The last label starts with a letter: URL parses a name ending in a number (`milvus.123`, `a.0x1`) as IPv4 and fails. */
const DNS_NAME = `(${DNS_LABEL}\\.)*[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?`;
/** Dotted quad, 0-255, no leading zeros (URL reads `010` as octal 8). */
const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
/** RFC 4291 text forms in hexadecimal groups, with at most one `::`; no zone, no embedded IPv4. */
const IPV6 = [
  `(${H16}:){7}${H16}`,
  `(${H16}:){1,7}:`,
  `(${H16}:){1,6}:${H16}`,
  `(${H16}:){1,5}(:${H16}){1,2}`,
  `(${H16}:){1,4}(:${H16}){1,3}`,
  `(${H16}:){1,3}(:${H16}){1,4}`,
  `(${H16}:){1,2}(:${H16}){1,5}`,
  `${H16}:(:${H16}){1,6}`,
  `:((:${H16}){1,7}|:)`,
].join('|');
/** 1-65535 without leading zeros: port 0 cannot be dialled, URL refuses more than 65535. */
const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9][0-9]|6[0-4][0-9][0-9][0-9]|[1-5][0-9][0-9][0-9][0-9]|[1-9][0-9]{0,3})';
/** `http://host[:port]` or `https://host[:port]`; host is a DNS name, IPv4 or bracketed IPv6; no user, path or query. */
export const MILVUS_URI = `^https?://(${DNS_NAME}|${IPV4}|\\[(${IPV6})\\])(:${PORT})?/?$`;
/**
 * `http(s)://host[:port][/path]`, for the usage sources on a budget (a proxy's
 * `/metrics`, a Prometheus server). Same host and port rules as MILVUS_URI; a
 * path of URL-safe characters, no user information, query or fragment.
 */
export const HTTP_URL = `^https?://(${DNS_NAME}|${IPV4}|\\[(${IPV6})\\])(:${PORT})?(/[-A-Za-z0-9._~%/]*)?$`;
/** 24-hour wall-clock time `HH:MM`. */
export const CLOCK_TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
/** Like CLOCK_TIME, but `24:00` is allowed to mean the end of the day. */
export const CLOCK_TIME_END = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
/** Go-style duration made of hours, minutes and seconds, e.g. `15m`, `1h30m`. */
export const DURATION = '^([0-9]{1,3}h)?([0-9]{1,4}m)?([0-9]{1,6}s)?$';
/** IANA time-zone name shape; whether it exists is checked at run time. */
export const TIME_ZONE = '^(UTC|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2})$';
/** Kubernetes resource quantity (the apiserver's own regular expression). */
export const QUANTITY = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
