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
/** `http://host[:port]` or `https://host[:port]`; host is a DNS name, IPv4 or bracketed IPv6. */
export const MILVUS_URI = '^https?://([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?/?$';
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
