// Reads the samples of a few named metrics out of a Prometheus text
// exposition (format 0.0.4, what Milvus's /metrics serves). Lines of other
// metrics are skipped without being parsed: a proxy's /metrics is mostly
// histograms we do not need. Why not a package: see docs/adr/0011-usage-sources.md.

export interface ExpositionSample {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly value: number;
}

export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
}

// Sticky, one label at a time; the value pattern has no nested quantifier, so it runs in linear time.
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=\}))/y;

function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : v;
}

function parseLabels(line: string, start: number): { labels: Map<string, string>; end: number } {
  const labels = new Map<string, string>();
  LABEL.lastIndex = start;
  for (;;) {
    while (line[LABEL.lastIndex] === ' ') LABEL.lastIndex++;
    if (line[LABEL.lastIndex] === '}') return { labels, end: LABEL.lastIndex + 1 };
    const m = LABEL.exec(line);
    if (!m) throw new ExpositionError(`malformed labels in line "${line.slice(0, 200)}"`);
    labels.set(m[1] as string, unescape(m[2] as string));
  }
}

function parseValue(text: string, line: string): number {
  const v = text.trim().split(/\s+/)[0] ?? '';
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (v === '' || Number.isNaN(n)) throw new ExpositionError(`malformed value in line "${line.slice(0, 200)}"`);
  return n;
}

function sampleOf(line: string, names: ReadonlySet<string>): ExpositionSample | undefined {
  const nameEnd = line.search(/[{\s]/);
  const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
  if (!names.has(name)) return undefined;
  if (nameEnd < 0) throw new ExpositionError(`a sample without a value: "${line.slice(0, 200)}"`);
  if (line[nameEnd] === '{') {
    const { labels, end } = parseLabels(line, nameEnd + 1);
    return { name, labels, value: parseValue(line.slice(end), line) };
  }
  return { name, labels: new Map(), value: parseValue(line.slice(nameEnd), line) };
}

/**
 * The samples of the metrics in `names`, in order. Throws ExpositionError on
 * a malformed line of one of those metrics, or when there are more than
 * `maxSamples` of them.
 */
export function selectSamples(text: string, names: ReadonlySet<string>, maxSamples: number): ExpositionSample[] {
  const out: ExpositionSample[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end).replace(/\r$/, '');
    at = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const s = sampleOf(line, names);
    if (s === undefined) continue;
    if (out.length >= maxSamples) throw new ExpositionError(`more than ${maxSamples} samples of ${[...names].join(', ')}`);
    out.push(s);
  }
  return out;
}
