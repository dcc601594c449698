// `milvus-load-operator validate -f FILE|DIR|-`: the admission rules, the
// CEL-equivalent rules and the run-time checks, offline, for GitOps CI and
// pre-commit hooks. Exit 0 when every object is valid, 1 when any is not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, BUDGET_KIND, GROUP, POLICY_KIND } from '../api/constants.ts';
import { validateBudget, validatePolicy } from '../api/resources.ts';
import type { FieldError } from '../api/validate.ts';
import { UsageError } from './run.ts';

export interface Finding {
  file: string;
  /** 0-based index of the document in the file. */
  document: number;
  kind: string;
  name: string;
  path: string;
  message: string;
}

export interface ValidateReport {
  files: number;
  objects: number;
  valid: number;
  findings: Finding[];
}

interface Flags {
  inputs: string[];
  strict: boolean;
  output: 'text' | 'json';
}

export const VALIDATE_HELP = `Usage: milvus-load-operator validate -f FILE|DIR|- [-f ...] [--strict] [-o text|json]

Checks CollectionLoadPolicy and CollectionLoadBudget manifests offline, with
the same rules as the cluster's admission plus the run-time checks (time zones,
globs). Reads multi-document YAML; directories are searched for *.yaml/*.yml.

  -f, --filename   a file, a directory, or - for standard input (repeatable)
  --strict         also fail on documents of other kinds or other milvusload.io versions
  -o, --output     text (default) or json

Exit codes: 0 all valid, 1 invalid objects found, 2 usage error.
`;

function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { inputs: [], strict: false, output: 'text' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [name, inline] = a.split('=', 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '-f' || name === '--filename') flags.inputs.push(value());
    else if (name === '--strict') flags.strict = true;
    else if (name === '-o' || name === '--output') {
      const v = value();
      if (v !== 'text' && v !== 'json') throw new UsageError(`-o ${v}: use text or json`);
      flags.output = v;
    } else throw new UsageError(`unknown flag ${a}; see milvus-load-operator validate --help`);
  }
  if (flags.inputs.length === 0) throw new UsageError('give at least one -f FILE, DIR or -');
  return flags;
}

/** Files of -f: directories searched for *.yaml / *.yml (dot-directories skipped); `-` is stdin. */
export function collectFiles(input: string): string[] {
  if (input === '-') return ['-'];
  let st;
  try {
    st = statSync(input);
  } catch {
    throw new UsageError(`${input}: no such file or directory`);
  }
  if (!st.isDirectory()) return [input];
  const out: string[] = [];
  for (const entry of readdirSync(input, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(input, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) out.push(...collectFiles(p));
    } else if (/\.ya?ml$/.test(entry.name)) out.push(p);
  }
  return out;
}

function nameOf(doc: Record<string, unknown>): string {
  const m = doc.metadata as { name?: unknown; namespace?: unknown } | undefined;
  const name = typeof m?.name === 'string' ? m.name : '(no name)';
  return typeof m?.namespace === 'string' ? `${m.namespace}/${name}` : name;
}

function validateDocument(doc: unknown, strict: boolean): { ours: boolean; kind: string; name: string; errors: FieldError[] } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ours: false, kind: '?', name: '?', errors: [] };
  const d = doc as Record<string, unknown>;
  const kind = typeof d.kind === 'string' ? d.kind : '(no kind)';
  const apiVersion = typeof d.apiVersion === 'string' ? d.apiVersion : '';
  const ourGroup = apiVersion.startsWith(`${GROUP}/`);
  const ourKind = kind === POLICY_KIND || kind === BUDGET_KIND;
  if (!ourGroup || !ourKind) {
    if (strict && (ourGroup || ourKind)) return { ours: true, kind, name: nameOf(d), errors: [{ path: 'apiVersion', type: 'Invalid', message: `Invalid value: ${JSON.stringify(apiVersion)}: this tool knows ${API_VERSION} ${POLICY_KIND} and ${BUDGET_KIND}` }] };
    if (strict) return { ours: true, kind, name: nameOf(d), errors: [{ path: 'kind', type: 'Invalid', message: `not a ${GROUP} object (use without --strict to ignore other kinds)` }] };
    return { ours: false, kind, name: nameOf(d), errors: [] };
  }
  const r = kind === POLICY_KIND ? validatePolicy(d) : validateBudget(d);
  return { ours: true, kind, name: nameOf(d), errors: r.ok ? [] : r.errors };
}

export function validateSources(sources: readonly { file: string; text: string }[], strict: boolean): ValidateReport {
  const report: ValidateReport = { files: sources.length, objects: 0, valid: 0, findings: [] };
  for (const { file, text } of sources) {
    parseAllDocuments(text).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        report.findings.push({ file, document: index, kind: '?', name: '?', path: '', message: `YAML error: ${doc.errors[0]?.message ?? 'unparsable'}` });
        return;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const r = validateDocument(value, strict);
      if (!r.ours) return;
      report.objects++;
      if (r.errors.length === 0) report.valid++;
      for (const e of r.errors) report.findings.push({ file, document: index, kind: r.kind, name: r.name, path: e.path, message: e.message });
    });
  }
  return report;
}

export function formatText(report: ValidateReport): string {
  const lines = report.findings.map((f) => `${f.file}#${f.document} ${f.kind} ${f.name}: ${f.path ? `${f.path}: ` : ''}${f.message}`);
  const bad = report.objects - report.valid;
  lines.push(`${report.objects} object(s) in ${report.files} file(s): ${report.valid} valid, ${bad} invalid`);
  return `${lines.join('\n')}\n`;
}

export function validateCommand(argv: readonly string[], stdin: () => string = () => readFileSync(0, 'utf8')): { code: number; out: string } {
  const flags = parseFlags(argv);
  const files = flags.inputs.flatMap(collectFiles);
  const sources = files.map((file) => ({ file, text: file === '-' ? stdin() : readFileSync(file, 'utf8') }));
  const report = validateSources(sources, flags.strict);
  const out = flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatText(report);
  return { code: report.findings.length > 0 ? 1 : 0, out };
}
