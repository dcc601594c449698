// A strict parser for the Prometheus text exposition format (0.0.4), for
// tests that read /metrics the way a scraper would. It throws on any line a
// scraper would reject, so a malformed exposition fails the test.
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
  /** Sum of the samples named `name` whose labels include `match`. */
  value(name: string, match?: Readonly<Record<string, string>>): number;
  /** Whether any sample named `name` matches. */
  has(name: string, match?: Readonly<Record<string, string>>): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in metrics line: ${line}`);
    out[m[1] as string] = (m[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return out;
}

function parseValue(v: string, line: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (v === '' || Number.isNaN(n)) throw new Error(`bad value in metrics line: ${line}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# HELP ')) {
      const [, name = '', ...rest] = line.split(' ').slice(1);
      help.set(line.split(' ')[2] ?? name, rest.join(' '));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const parts = line.split(' ');
      const name = parts[2] ?? '';
      const type = parts[3] ?? '';
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`bad TYPE line: ${line}`);
      if (types.has(name)) throw new Error(`TYPE given twice for ${name}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad metrics line: ${line}`);
    samples.push({ name: m[1] as string, labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4] as string, line) });
  }
  const matching = (name: string, match: Readonly<Record<string, string>> = {}): Sample[] =>
    samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    help,
    value: (name, match) => matching(name, match).reduce((a, s) => a + s.value, 0),
    has: (name, match) => matching(name, match).length > 0,
  };
}
