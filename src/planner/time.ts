// Time stamps as the Kubernetes API writes them (RFC 3339, whole seconds).

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
