// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4). It has no
// dependencies and no clock: whoever observes a duration measures it.
//
// Label values come from our own code (instance keys, reasons, states,
// method names), never from Secrets; `redact` in the logger does not apply
// here, so nothing secret may be passed as a label.

export type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected key(labels: Labels | undefined): { key: string; values: string[] } {
    const values = this.labelNames.map((n) => labels?.[n] ?? '');
    return { key: JSON.stringify(values), values };
  }

  abstract samples(): string[];

  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join('\n');
  }
}

export class Counter extends Metric {
  readonly type = 'counter';
  private readonly values = new Map<string, { labels: string[]; value: number }>();

  inc(labels?: Labels, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const { key, values } = this.key(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels: values, value: by });
  }

  get(labels?: Labels): number {
    return this.values.get(this.key(labels).key)?.value ?? 0;
  }

  samples(): string[] {
    return [...this.values.values()].map((s) => `${this.name}${labelText(this.labelNames, s.labels)} ${formatValue(s.value)}`);
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge';
  private readonly values = new Map<string, { labels: string[]; value: number }>();

  set(labels: Labels | undefined, value: number): void {
    const { key, values } = this.key(labels);
    this.values.set(key, { labels: values, value });
  }

  get(labels?: Labels): number | undefined {
    return this.values.get(this.key(labels).key)?.value;
  }

  /** Removes every series whose labels match all of `match` (e.g. one instance's states before re-setting them). */
  clear(match: Labels = {}): void {
    for (const [k, s] of this.values) {
      if (Object.entries(match).every(([n, v]) => s.labels[this.labelNames.indexOf(n)] === v)) this.values.delete(k);
    }
  }

  samples(): string[] {
    return [...this.values.values()].map((s) => `${this.name}${labelText(this.labelNames, s.labels)} ${formatValue(s.value)}`);
  }
}

/** Seconds buckets from 5 ms to 60 s: reconciles and RPCs both live in that range. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Histogram extends Metric {
  readonly type = 'histogram';
  private readonly buckets: readonly number[];
  private readonly values = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels | undefined, value: number): void {
    const { key, values } = this.key(labels);
    let s = this.values.get(key);
    if (!s) {
      s = { labels: values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.values.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) (s.counts[i] as number)++;
    s.sum += value;
    s.count++;
  }

  count(labels?: Labels): number {
    return this.values.get(this.key(labels).key)?.count ?? 0;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.values.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(this.labelNames, s.labels, ['le', formatValue(b)])} ${s.counts[i] ?? 0}`));
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before every scrape (for values read on demand, such as process memory). */
  onCollect(f: () => void): void {
    this.collectors.push(f);
  }

  render(): string {
    for (const f of this.collectors) f();
    return `${[...this.metrics.values()].map((m) => m.render()).join('\n')}\n`;
  }
}
