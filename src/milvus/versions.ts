// What a Milvus server version can do, where the operator must know before it asks.

/** Milvus reads `load_params.load_priority` from 2.6 on; versions look like `v2.6.0` or `2.6.3-gpu`. */
export function supportsLoadPriority(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 6);
}
