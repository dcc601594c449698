// The command-line contract every command shares: its usage error, the flags
// several commands take (defined once here), and one parser on Node's
// util.parseArgs. parseArgs does the splitting: `--flag=value` at the first
// `=` only (so `--token=a=b` keeps `a=b`), grouped switches (`-vA`), `-fFILE`,
// and `--` as the end of flags. The checks are ours, and strict: an unknown
// flag, a missing value, a value given to a switch or a stray argument is a
// usage error (exit 2) that names the flag and the command's --help. parseArgs'
// own strict mode would word those errors itself and refuse a value that
// starts with `-` (an API key given to --token), which these commands accept.
import { parseArgs } from 'node:util';

/** A mistake on the command line: main prints the message on one line and exits 2. */
export class UsageError extends Error {}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** A switch that also takes `=true` or `=false`, as Kubernetes components' switches do (`--leader-elect=false`). */
  readonly explicitValue?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string;

/** What the command line gave, by flag name; a flag not given is absent. */
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

/** Flags that mean the same in every command that takes them. */
export const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  kubeconfig: { type: 'string' },
  filename: { type: 'string', short: 'f', multiple: true },
  output: { type: 'string', short: 'o' },
  'log-level': { type: 'string' },
} as const satisfies FlagSpecs;

type CommonFlag = keyof typeof COMMON_FLAGS;

/** The common flags a command takes, to spread into its own specs. */
export function commonFlags<K extends CommonFlag>(...names: readonly K[]): Pick<typeof COMMON_FLAGS, K> {
  return Object.fromEntries(names.map((n) => [n, COMMON_FLAGS[n]])) as Pick<typeof COMMON_FLAGS, K>;
}

export const OUTPUTS = ['text', 'json'] as const;
export type Output = (typeof OUTPUTS)[number];

/** -o/--output: text (the default) or json. */
export function outputFlag(v: string | undefined): Output {
  if (v === undefined) return 'text';
  if (v !== 'text' && v !== 'json') throw new UsageError(`-o ${v}: use text or json`);
  return v;
}

/**
 * Help wins over everything else on the line, a malformed line included
 * (`plan -f --help` shows plan's help), so it is looked for before parsing.
 */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** The value of a non-empty environment variable (an empty one counts as unset, as for KUBECONFIG). */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

// @types/node declares parseArgs' token types (Token, OptionToken) inside module "util" without exporting them, so they are read off its result.
type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

function switchValue(t: OptionToken, spec: FlagSpec): boolean {
  if (t.value === undefined) return true;
  if (spec.explicitValue && (t.value === 'true' || t.value === 'false')) return t.value === 'true';
  const how = spec.explicitValue ? `write ${t.rawName}, ${t.rawName}=true or ${t.rawName}=false` : `write ${t.rawName} alone`;
  throw new UsageError(`${t.rawName} is a switch and takes no value; ${how}`);
}

function stringValue(t: OptionToken): string {
  if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
  // `-o=json`, as kubectl reads a short flag; a long one keeps everything after its first `=`.
  const shortInline = t.inlineValue === true && !t.rawName.startsWith('--');
  return shortInline && t.value.startsWith('=') ? t.value.slice(1) : t.value;
}

/**
 * Parses `argv` (the words after the command's name) against the command's
 * flags. Throws UsageError naming the flag; never echoes the value of an
 * unknown flag (it may be a credential).
 */
export function parseCommandLine<S extends FlagSpecs>(command: string, argv: readonly string[], specs: S): FlagValues<S> {
  const options = Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean | string[]> = {};
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') throw new UsageError(`unexpected argument ${t.value}: ${command} takes flags only; see milvus-load-operator ${command} --help`);
    const spec = Object.hasOwn(specs, t.name) ? specs[t.name] : undefined;
    if (!spec) throw new UsageError(`unknown flag ${t.rawName}; see milvus-load-operator ${command} --help`);
    if (spec.type === 'boolean') values[t.name] = switchValue(t, spec);
    else if (spec.multiple) values[t.name] = [...((values[t.name] as string[] | undefined) ?? []), stringValue(t)];
    else values[t.name] = stringValue(t);
  }
  return values as FlagValues<S>;
}
