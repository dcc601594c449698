// `milvus-load-operator validate -f FILE|DIR|-`: the admission rules, the
// CEL-equivalent rules and the run-time checks, offline, for GitOps CI and
// pre-commit hooks. Exit 0 when every object is valid, 1 when any is not.
import { API_VERSION, BUDGET_KIND, GROUP, POLICY_KIND } from '../api/constants.ts';
import { printable, quoted, safeMessage } from '../api/display.ts';
import { validateBudget, validatePolicy } from '../api/resources.ts';
import type { FieldError } from '../api/validate.ts';
import { collectFiles, MANIFEST_LIMITS, parseManifest, readSource, readStdin, type SourceRead } from './manifests.ts';
import { commonFlags, outputFlag, parseCommandLine, UsageError, type FlagSpecs, type Output } from './flags.ts';

export { collectFiles } from './manifests.ts';

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
  /** Readings that kubectl makes but a YAML 1.2 tool would not (`yes` as a boolean); they do not fail the run. */
  warnings: Finding[];
}

/** A file's text, or why it could not be read (the run goes on with the other files). */
export type Source = { file: string; text: string } | { file: string; error: string };

interface Flags {
  inputs: string[];
  strict: boolean;
  output: Output;
}

export const VALIDATE_HELP = `Usage: milvus-load-operator validate -f FILE|DIR|- [-f ...] [--strict] [-o text|json]

Checks CollectionLoadPolicy and CollectionLoadBudget manifests offline, with
the same rules as the cluster's admission plus the run-time checks (time zones,
globs). Reads multi-document YAML as kubectl does (YAML 1.1: yes/no/on/off are
booleans, the last of duplicate keys wins) and warns where that differs from
YAML 1.2; directories are searched for *.yaml, *.yml and *.json.

Limits: a file of at most ${MANIFEST_LIMITS.fileBytes / 2 ** 20} MiB, a document of at most ${MANIFEST_LIMITS.documentBytes / 2 ** 20} MiB
(the apiserver's request limit) and ${MANIFEST_LIMITS.documentValues.toLocaleString('en')} values, an object of at most ${MANIFEST_LIMITS.objectBytes / 2 ** 20} MiB as
JSON (etcd's default --max-request-bytes).

  -f, --filename   a file, a directory, or - for standard input (repeatable)
  --strict         also fail on documents of other kinds or other milvusload.io versions
  -o, --output     text (default) or json

Exit codes: 0 all valid, 1 invalid objects found, 2 usage error.
`;

export const VALIDATE_OPTIONS = {
  ...commonFlags('help', 'filename', 'output'),
  strict: { type: 'boolean' },
} as const satisfies FlagSpecs;

function parseFlags(argv: readonly string[]): Flags {
  const values = parseCommandLine('validate', argv, VALIDATE_OPTIONS);
  const flags: Flags = { inputs: values.filename ?? [], strict: values.strict ?? false, output: outputFlag(values.output) };
  if (flags.inputs.length === 0) throw new UsageError('give at least one -f FILE, DIR or -');
  return flags;
}

function nameOf(doc: Record<string, unknown>): string {
  const m = doc.metadata as { name?: unknown; namespace?: unknown } | undefined;
  const name = typeof m?.name === 'string' ? m.name : '(no name)';
  return typeof m?.namespace === 'string' ? `${m.namespace}/${name}` : name;
}

interface DocumentVerdict {
  /** A document of ours: it is counted, and its errors fail the run. */
  ours: boolean;
  kind: string;
  name: string;
  errors: FieldError[];
}

const OUR_KINDS: ReadonlySet<string> = new Set([POLICY_KIND, BUDGET_KIND]);

/** What kubectl refuses before it sends anything, so a run would fail there too. */
function unsetTypeFields(d: Record<string, unknown>): string[] {
  return [...(typeof d.apiVersion === 'string' && d.apiVersion !== '' ? [] : ['apiVersion not set']), ...(typeof d.kind === 'string' && d.kind !== '' ? [] : ['kind not set'])];
}

/** Under --strict, a document that is not one of our kinds: half ours (group or kind) is likely a typo or a version this tool does not know. */
function foreignError(apiVersion: string, kind: string): FieldError {
  if (apiVersion.startsWith(`${GROUP}/`) || OUR_KINDS.has(kind)) {
    return { path: 'apiVersion', type: 'Invalid', message: `Invalid value: ${quoted(apiVersion)}: this tool knows ${API_VERSION} ${POLICY_KIND} and ${BUDGET_KIND}` };
  }
  return { path: 'kind', type: 'Invalid', message: `not a ${GROUP} object (use without --strict to ignore other kinds)` };
}

function validateDocument(doc: unknown, strict: boolean): DocumentVerdict {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ours: false, kind: '?', name: '?', errors: [] };
  const d = doc as Record<string, unknown>;
  const kind = typeof d.kind === 'string' ? d.kind : '(no kind)';
  const apiVersion = typeof d.apiVersion === 'string' ? d.apiVersion : '';
  const name = nameOf(d);
  const unset = unsetTypeFields(d);
  if (unset.length > 0) return { ours: true, kind, name, errors: [{ path: '', type: 'Required', message: `not a Kubernetes object: ${unset.join(', ')} (kubectl refuses it)` }] };
  if (apiVersion.startsWith(`${GROUP}/`) && OUR_KINDS.has(kind)) {
    const r = kind === POLICY_KIND ? validatePolicy(d) : validateBudget(d);
    return { ours: true, kind, name, errors: r.ok ? [] : r.errors };
  }
  return strict ? { ours: true, kind, name, errors: [foreignError(apiVersion, kind)] } : { ours: false, kind, name, errors: [] };
}

/** Every field of a finding made safe to print: credentials masked, control characters escaped. */
function finding(at: { file: string; document: number; kind?: string; name?: string }, path: string, message: string): Finding {
  return { file: printable(at.file), document: at.document, kind: printable(at.kind ?? '?'), name: printable(at.name ?? '?'), path: printable(path), message: safeMessage(message) };
}

export function validateSources(sources: readonly Source[], strict: boolean): ValidateReport {
  const report: ValidateReport = { files: sources.length, objects: 0, valid: 0, findings: [], warnings: [] };
  for (const source of sources) {
    const { file } = source;
    if ('error' in source) {
      report.findings.push(finding({ file, document: 0 }, '', source.error));
      continue;
    }
    const parsed = parseManifest(source.text);
    if (!parsed.ok) {
      report.findings.push(finding({ file, document: parsed.oversized.document }, '', parsed.oversized.message));
      continue;
    }
    for (const doc of parsed.documents) {
      if (doc.error !== undefined) {
        report.findings.push(finding({ file, document: doc.index }, '', doc.error));
        continue;
      }
      if (doc.value === null || doc.value === undefined) continue;
      const r = validateDocument(doc.value, strict);
      if (!r.ours) continue;
      const at = { file, document: doc.index, kind: r.kind, name: r.name };
      for (const w of doc.warnings) report.warnings.push(finding(at, w.path, w.message));
      report.objects++;
      if (r.errors.length === 0) report.valid++;
      for (const e of r.errors) report.findings.push(finding(at, e.path, e.message));
    }
  }
  return report;
}

export function formatText(report: ValidateReport): string {
  const line = (f: Finding): string => `${f.file}#${f.document} ${f.kind} ${f.name}: ${f.path ? `${f.path}: ` : ''}${f.message}`;
  const lines = [...report.warnings.map((w) => `warning: ${line(w)}`), ...report.findings.map(line)];
  const bad = report.objects - report.valid;
  lines.push(`${report.objects} object(s) in ${report.files} file(s): ${report.valid} valid, ${bad} invalid`);
  return `${lines.join('\n')}\n`;
}

/** Reads every -f input, bounded; a file that cannot be read becomes a finding, not the end of the run. */
export function readSources(inputs: readonly string[], stdin: () => SourceRead): Source[] {
  return inputs.flatMap(collectFiles).map((file) => {
    const r = file === '-' ? stdin() : readSource(file);
    return r.ok ? { file, text: r.text } : { file, error: r.message };
  });
}

export function validateCommand(argv: readonly string[], stdin: () => SourceRead = readStdin): { code: number; out: string } {
  const flags = parseFlags(argv);
  const sources = readSources(flags.inputs, stdin);
  const report = validateSources(sources, flags.strict);
  const out = flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatText(report);
  return { code: report.findings.length > 0 ? 1 : 0, out };
}
