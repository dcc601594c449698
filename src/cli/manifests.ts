// Reading manifests for `validate` and `plan -f`: which files, how much of
// them, and how their YAML is read. Input is hostile until bounded (issue
// 19): sizes are checked before anything is held in memory or parsed, and
// YAML is read as kubectl reads it, so the answer is the cluster's answer.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CST, isMap, isScalar, isSeq, Lexer, parse, parseAllDocuments, type Tags } from 'yaml';
import { printable } from '../api/display.ts';
import { UsageError } from './run.ts';

const MiB = 1024 * 1024;

/**
 * The limits, and why:
 * - objectBytes: etcd refuses a write larger than its `--max-request-bytes`,
 *   1.5 MiB by default, and custom resources are stored as JSON, so a larger
 *   object can never be created; k8s.io/apiserver sizes its own request limit
 *   from the same figure.
 * - documentBytes: the apiserver refuses a request body over 3 MiB
 *   (`MaxRequestBodyBytes`, "2x" the etcd limit), and kubectl sends each
 *   document as one request.
 * - documentValues: a valid object has at most a few thousand values (every
 *   list in the schema has maxItems: 256 names, 32 patterns ...); the YAML
 *   library needs about 1 KiB of memory per value, so this caps a document's
 *   parse at tens of MiB whatever its shape.
 * - fileBytes: a file may hold many documents; 16 MiB is thousands of
 *   policies. Checked with stat before the file is read.
 */
export const MANIFEST_LIMITS = { objectBytes: 1.5 * MiB, documentBytes: 3 * MiB, documentValues: 50_000, fileBytes: 16 * MiB } as const;

const mib = (n: number): string => `${Math.round((n / MiB) * 10) / 10} MiB`;

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file; pass the directory itself with -f to read its *.yaml, *.yml and *.json files',
  ELOOP: 'too many levels of symbolic links (a link that points back at itself?); fix or remove the link',
  EACCES: 'permission denied; make the file readable or leave it out',
  EPERM: 'permission denied; make the file readable or leave it out',
};

/** Why a path could not be read, naming it, in words a person can act on. */
export function readErrorMessage(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return `${printable(path)}: ${(code !== undefined ? READ_ERRORS[code] : undefined) ?? `cannot be read (${code ?? (e as Error).message})`}`;
}

/** Files of -f: directories searched for *.yaml, *.yml and *.json, as kubectl does (dot-directories skipped); `-` is stdin. */
export function collectFiles(input: string): string[] {
  if (input === '-') return ['-'];
  let st;
  try {
    st = statSync(input);
  } catch (e: unknown) {
    throw new UsageError(readErrorMessage(input, e));
  }
  if (!st.isDirectory()) return [input];
  const out: string[] = [];
  for (const entry of readdirSync(input, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(input, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) out.push(...collectFiles(p));
    } else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(p);
  }
  return out;
}

export type SourceRead = { ok: true; text: string } | { ok: false; message: string };

function tooLarge(what: string, size: string): string {
  return `${what} is larger than ${mib(MANIFEST_LIMITS.fileBytes)} (${size}); no set of CollectionLoadPolicy and CollectionLoadBudget manifests needs that much (an object may be at most ${mib(MANIFEST_LIMITS.objectBytes)}, etcd's request limit): split the file or remove what is not a manifest`;
}

/** Reads at most `limit` + 1 bytes from a file descriptor, so an endless stream cannot fill memory. */
function readCapped(fd: number, limit: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, total);
    total += n;
    if (total > limit) return undefined;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
}

/** Standard input, refused once it grows past the file limit. */
export function readStdin(): SourceRead {
  const buf = readCapped(0, MANIFEST_LIMITS.fileBytes);
  return buf === undefined ? { ok: false, message: tooLarge('standard input', `more`) } : { ok: true, text: buf.toString('utf8') };
}

/** A file's text, or why it was not read: its size is checked before it is read. */
export function readSource(file: string): SourceRead {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { ok: false, message: readErrorMessage(file, Object.assign(new Error('EISDIR'), { code: 'EISDIR' })) };
    if (st.isFile() && st.size > MANIFEST_LIMITS.fileBytes) return { ok: false, message: tooLarge(printable(file), mib(st.size)) };
    if (st.isFile()) return { ok: true, text: readFileSync(file, 'utf8') };
    // A FIFO or a device has no size to check: read it like standard input.
    const fd = openSync(file, 'r');
    try {
      const buf = readCapped(fd, MANIFEST_LIMITS.fileBytes);
      return buf === undefined ? { ok: false, message: tooLarge(printable(file), 'more') } : { ok: true, text: buf.toString('utf8') };
    } finally {
      closeSync(fd);
    }
  } catch (e: unknown) {
    return { ok: false, message: readErrorMessage(file, e) };
  }
}

// Tokens of the YAML lexer that stand for a value (or a key, or an entry):
// an upper bound of the nodes the parser would build.
const VALUE_TOKENS = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'alias', 'flow-map-start', 'flow-seq-start', 'seq-item-ind', 'map-value-ind', 'explicit-key-ind', 'comma']);
const LAYOUT_TOKENS = new Set(['byte-order-mark', 'doc-mode', 'space', 'comment', 'newline', 'directive-line']);

export interface OversizedDocument {
  /** 0-based index of the document in the file. */
  readonly document: number;
  readonly message: string;
}

/**
 * Finds the first document that is too large to parse, by lexing alone
 * (tokens are counted and dropped, nothing is built): a document's text
 * beyond the apiserver's request limit, or more values than any valid
 * object has. YAML forbids `---` and `...` at the start of a line inside
 * content, so the lexer's document boundaries are the parser's.
 */
export function findOversizedDocument(text: string): OversizedDocument | undefined {
  let document = -1;
  let open = false;
  let bytes = 0;
  let values = 0;
  const begin = (): void => {
    document++;
    open = true;
    bytes = 0;
    values = 0;
  };
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token) ?? undefined;
    if (type === 'doc-start') begin();
    else if (type === 'doc-end') open = false;
    else if (!open && type !== undefined && !LAYOUT_TOKENS.has(type)) begin();
    bytes += token.length;
    if (type !== undefined && VALUE_TOKENS.has(type)) values++;
    const at = Math.max(document, 0);
    if (bytes > MANIFEST_LIMITS.documentBytes) {
      return { document: at, message: `the document is larger than ${mib(MANIFEST_LIMITS.documentBytes)}, the apiserver's request limit (kubectl sends each document as one request): it could never be applied; the rest of the file was not read` };
    }
    if (values > MANIFEST_LIMITS.documentValues) {
      return { document: at, message: `the document has more than ${MANIFEST_LIMITS.documentValues.toLocaleString('en')} YAML values; no valid object has that many (lists are capped at a few hundred items): remove what does not belong; the rest of the file was not read` };
    }
  }
  return undefined;
}

/** The serialized size check the apiserver and etcd would make, for a parsed object. */
export function objectSizeProblem(value: unknown): string | undefined {
  const size = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (size <= MANIFEST_LIMITS.objectBytes) return undefined;
  return `the object is ${mib(size)} as JSON, more than ${mib(MANIFEST_LIMITS.objectBytes)}, etcd's default --max-request-bytes: the cluster would refuse to store it; make it smaller`;
}

// ---------------------------------------------------------------- YAML as kubectl reads it

/**
 * kubectl decodes YAML with go-yaml v2 (YAML 1.1): `yes`/`no`/`on`/`off`/`y`/`n`
 * are booleans, `0755` is octal, a duplicate key keeps its last value. It has
 * no sexagesimal numbers (`22:00` stays a string) and keeps timestamps as
 * strings, so those two YAML 1.1 tags of the yaml library are left out.
 */
const KUBECTL_YAML = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags: Tags): Tags => tags.filter((t) => !(typeof t === 'object' && (t.format === 'TIME' || t.tag === 'tag:yaml.org,2002:timestamp'))),
} as const;

export interface YamlWarning {
  readonly path: string;
  readonly message: string;
}

export interface ParsedDocument {
  /** 0-based index of the document in the file. */
  readonly index: number;
  /** The document as kubectl would send it; undefined for an empty document or after an error. */
  readonly value?: unknown;
  /** Why the document cannot be read; the other documents of the file are still read. */
  readonly error?: string;
  readonly warnings: readonly YamlWarning[];
}

export type ParsedManifest = { ok: true; documents: ParsedDocument[] } | { ok: false; oversized: OversizedDocument };

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'number') return `the number ${v}`;
  return v === null ? 'null' : typeof v;
}

/** Plain scalars whose meaning YAML 1.1 (kubectl) and YAML 1.2 (most editors and linters) disagree on. */
function meaningChanges(node: unknown, path: string, out: YamlWarning[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      meaningChanges(pair.value, path === '' ? key : `${path}.${key}`, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => meaningChanges(item, `${path}[${i}]`, out));
  } else if (isScalar(node) && node.type === 'PLAIN' && typeof node.source === 'string' && node.source.length <= 40 && /^[-+.0-9yYnNoOtTfF~]/.test(node.source)) {
    const as12: unknown = parse(node.source, { version: '1.2' });
    if (Object.is(as12, node.value)) return;
    out.push({
      path: printable(path),
      message: `YAML 1.1, which kubectl reads, takes the bare ${printable(node.source)} as ${show(node.value)}, where YAML 1.2 reads ${show(as12)}; quote it ("${printable(node.source)}") if you mean the text`,
    });
  }
}

/** First line of a YAML error: the line after it echoes the source, which may hold a secret. */
const firstLine = (message: string): string => message.split('\n')[0] ?? message;

/** The documents of a manifest file, each read as kubectl reads it, or the first one too large to read at all. */
export function parseManifest(text: string): ParsedManifest {
  const oversized = findOversizedDocument(text);
  if (oversized) return { ok: false, oversized };
  const documents: ParsedDocument[] = [];
  parseAllDocuments(text, KUBECTL_YAML).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      documents.push({ index, error: `YAML error: ${firstLine(doc.errors[0]?.message ?? 'unparsable')}`, warnings: [] });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e: unknown) {
      // The yaml library refuses alias bombs (ReferenceError) and bad merge keys: one document, not the run.
      if (!(e instanceof Error)) throw e;
      documents.push({ index, error: `YAML error: ${firstLine(e.message)}`, warnings: [] });
      return;
    }
    const tooBig = objectSizeProblem(value);
    if (tooBig !== undefined) {
      documents.push({ index, error: tooBig, warnings: [] });
      return;
    }
    const warnings: YamlWarning[] = [];
    meaningChanges(doc.contents, '', warnings);
    documents.push({ index, value, warnings });
  });
  return { ok: true, documents };
}
