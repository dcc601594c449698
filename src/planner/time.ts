// Time stamps as the Kubernetes API writes them (RFC 3339, whole seconds).

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** With milliseconds, where a restart must read back the very instant (a 2 s backoff is not rounded to 3). */
export const isoMillis = (ms: number): string => new Date(ms).toISOString();
