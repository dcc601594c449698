// Structured JSON logs, one object per line, with a level. Secrets never
// reach a log line: values under keys that look like credentials are
// replaced, and known secret strings registered with `redact` are masked
// wherever they appear.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /^(token|password|passwd|secret|authorization|apiKey|api_key|credentials?)$/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const secrets = new Set<string>();

/** Registers a secret value (a token, a password) to be masked in every log line. */
export function redact(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function maskSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

function clean(v: unknown, depth = 0): unknown {
  if (depth > 5) return '[deep]';
  if (v instanceof Error) return { message: maskSecrets(v.message), name: v.name };
  if (typeof v === 'string') return maskSecrets(v);
  if (Array.isArray(v)) return v.map((x) => clean(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) ? '***' : clean(x, depth + 1)]));
  }
  return v;
}

export function createLogger(level: Level = 'info', base: Record<string, unknown> = {}, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] < ORDER[level]) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level: l, msg: maskSecrets(msg), ...(clean({ ...base, ...fields }) as Record<string, unknown>) }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

export function isLevel(v: string): v is Level {
  return v in ORDER;
}
