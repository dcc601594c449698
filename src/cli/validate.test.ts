import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { invalidCases } from '../../test/fixtures/invalid-manifests.ts';
import { UsageError } from './flags.ts';
import { formatText, validateCommand, validateSources } from './validate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = `${root}src/main.ts`;

describe('validate', () => {
  it('accepts every example and ignores other kinds (Secrets)', () => {
    const r = validateCommand(['-f', `${root}examples`]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /13 object\(s\) in 9 file\(s\): 13 valid, 0 invalid/);
  });

  it('names the file, document, object and field of every invalid manifest, as admission does', () => {
    for (const c of invalidCases) {
      const report = validateSources([{ file: 'bad.yaml', text: stringify(c.manifest) }], false);
      assert.ok(report.findings.some((f) => f.path === c.path), `${c.name}: ${JSON.stringify(report.findings)}`);
      assert.ok(report.findings.every((f) => f.file === 'bad.yaml' && f.document === 0 && f.name.length > 0));
    }
  });

  it('prints a stable human format (golden)', () => {
    const text = `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: web, namespace: search }
spec:
  milvus: { uri: "http://milvus:19530" }
  selector: { names: [products] }
  state: Unloaded
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
---
apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadPolicy
metadata: { name: night, namespace: search }
spec:
  milvus: { uri: "http://milvus:19530" }
  selector: { names: [logs] }
  schedule: { timeZone: Mars/Base, windows: [{ start: "22:00", end: "02:00" }] }
`;
    const out = formatText(validateSources([{ file: 'policies.yaml', text }], false));
    assert.equal(
      out,
      [
        'policies.yaml#0 CollectionLoadPolicy search/web: spec.state: Unsupported value: "Unloaded": supported values: "Loaded", "Released"',
        'policies.yaml#2 CollectionLoadPolicy search/night: spec.schedule.timeZone: Invalid value: "Mars/Base": not a known IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC',
        '2 object(s) in 1 file(s): 0 valid, 2 invalid',
        '',
      ].join('\n'),
    );
  });

  it('--strict also rejects documents that are not ours', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n';
    assert.equal(validateSources([{ file: 'a.yaml', text }], false).findings.length, 0);
    assert.equal(validateSources([{ file: 'a.yaml', text }], true).findings.length, 1);
  });

  it('reports broken YAML with the document index instead of throwing', () => {
    const r = validateSources([{ file: 'b.yaml', text: 'kind: [unclosed\n' }], false);
    assert.match(r.findings[0]?.message ?? '', /YAML error/);
  });

  it('works as a command: exit codes, JSON output, stdin, usage errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlo-validate-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify(invalidCases[0]?.manifest));
    const ok = spawnSync(process.execPath, [main, 'validate', '-f', `${root}examples`], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const fail = spawnSync(process.execPath, [main, 'validate', '-f', bad, '-o', 'json'], { encoding: 'utf8' });
    assert.equal(fail.status, 1);
    const json = JSON.parse(fail.stdout) as { findings: { path: string }[] };
    assert.equal(json.findings[0]?.path, invalidCases[0]?.path);
    const piped = execFileSync(process.execPath, [main, 'validate', '-f', '-'], { input: 'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n', encoding: 'utf8' });
    assert.match(piped, /0 object\(s\) in 1 file\(s\)/);
    const usage = spawnSync(process.execPath, [main, 'validate'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /give at least one -f/);
    assert.ok(!usage.stderr.includes('    at '), 'no stack trace for a user error');
  });

  it('reads flags with util.parseArgs: = inside a value, unknown flags and missing values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlo-validate-eq-'));
    const file = join(dir, 'a=b.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    const r = validateCommand([`--filename=${file}`, '-o=json']);
    assert.equal(r.code, 0, r.out);
    assert.equal((JSON.parse(r.out) as { files: number }).files, 1, 'the whole path after the first =, and -o=json as kubectl reads it');
    assert.throws(() => validateCommand(['-f', file, '--stirct']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --stirct; see milvus-load-operator validate --help');
    assert.throws(() => validateCommand(['--nope=secret']), (e: unknown) => e instanceof UsageError && !e.message.includes('secret'));
    assert.throws(() => validateCommand(['-f']), /^Error: -f needs a value$/);
    assert.throws(() => validateCommand(['-f', file, '--strict=false']), /--strict is a switch and takes no value/);
    assert.throws(() => validateCommand(['-f', file, '-o', 'yaml']), /-o yaml: use text or json/);
  });

  it('--help wins over a malformed line, and a usage error is one line on stderr with exit 2', () => {
    const help = spawnSync(process.execPath, [main, 'validate', '-f', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: milvus-load-operator validate/);
    const unknown = spawnSync(process.execPath, [main, 'validate', '--bogus'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, 'milvus-load-operator: unknown flag --bogus; see milvus-load-operator validate --help\n');
    const version = spawnSync(process.execPath, [main, 'version', 'extra'], { encoding: 'utf8' });
    assert.equal(version.status, 2);
    assert.match(version.stderr, /unexpected argument extra: version takes flags only/);
  });

  it('is fast enough for a pre-commit hook: 1,000 manifests (measured, not asserted)', (t) => {
    const docs = Array.from({ length: 1000 }, (_, i) => stringify({ apiVersion: 'milvusload.io/v1alpha1', kind: 'CollectionLoadPolicy', metadata: { name: `p${i}`, namespace: 'ns' }, spec: { milvus: { uri: 'http://m:19530' }, selector: { patterns: ['logs_*'] }, schedule: { timeZone: 'Europe/Berlin', windows: [{ start: '07:00', end: '19:00' }] } } })).join('---\n');
    const t0 = performance.now();
    const r = validateSources([{ file: 'many.yaml', text: docs }], false);
    t.diagnostic(`validated 1,000 manifests in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(r.valid, 1000);
  });
});
