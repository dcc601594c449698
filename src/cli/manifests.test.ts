// Hostile manifests (issue 19): bounded before they are parsed, every file
// still reported, nothing secret or unprintable echoed, YAML read as kubectl
// reads it. test/api/yaml-kubectl.test.ts compares the YAML reading with the
// real kubectl; these are the cases that need no cluster.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatFieldError } from '../api/validate.ts';
import { collectFiles, findOversizedDocument, MANIFEST_LIMITS, parseManifest, readSource } from './manifests.ts';
import { formatText, readSources, validateCommand, validateSources } from './validate.ts';

const policy = (name: string, spec = ''): string =>
  `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata: { name: ${name}, namespace: search }\nspec:\n  milvus: { uri: "http://milvus:19530" }\n  selector: { names: [products] }\n${spec}`;
const ALIAS_BOMB = ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`), 'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]', ''].join('\n');

describe('bounded input', () => {
  it('refuses a file over the limit by its size, before reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlo-manifests-'));
    const big = join(dir, 'big.yaml');
    writeFileSync(big, policy('big', `  partitions: ["${'x'.repeat(MANIFEST_LIMITS.fileBytes)}"]\n`));
    const r = readSource(big);
    assert.ok(!r.ok);
    assert.match(r.message, /big\.yaml is larger than 16 MiB \(16 MiB\); .*split the file/);
  });

  it('refuses a document over the apiserver request limit, and one with more values than any object has, without parsing it', () => {
    const long = findOversizedDocument(`${policy('ok')}---\n${policy('long', `  partitions: ["${'x'.repeat(MANIFEST_LIMITS.documentBytes)}"]\n`)}`);
    assert.equal(long?.document, 1);
    assert.match(long?.message ?? '', /larger than 3 MiB, the apiserver's request limit/);
    const many = findOversizedDocument(policy('many', `  partitions: [${Array(MANIFEST_LIMITS.documentValues + 1).fill('p').join(',')}]\n`));
    assert.equal(many?.document, 0);
    assert.match(many?.message ?? '', /more than 50,000 YAML values/);
    assert.equal(findOversizedDocument(`---\n---\n${policy('third')}`), undefined);
  });

  it('counts documents as the parser does', () => {
    const text = `# comment\n${policy('a')}...\n%YAML 1.1\n---\n${policy('b')}---\n---\n${policy('d', `  partitions: [${Array(MANIFEST_LIMITS.documentValues).fill('p').join(',')}]\n`)}`;
    assert.equal(findOversizedDocument(text)?.document, 3);
    const parsed = parseManifest(text.replace(/partitions: \[.*\]/, 'partitions: [p]'));
    assert.ok(parsed.ok);
    assert.equal(parsed.documents.length, 4);
  });

  it('refuses an object larger than etcd would store (1.5 MiB as JSON)', () => {
    const r = validateSources([{ file: 'a.yaml', text: policy('fat', `  partitions: ["${'x'.repeat(MANIFEST_LIMITS.objectBytes)}"]\n`) }], false);
    assert.equal(r.findings.length, 1);
    assert.match(r.findings[0]?.message ?? '', /more than 1\.5 MiB, etcd's default --max-request-bytes/);
  });
});

describe('every file reported, by name', () => {
  it('an alias bomb fails its own document; the other documents and files are still checked', () => {
    const r = validateSources(
      [
        { file: 'bomb.yaml', text: `${ALIAS_BOMB}---\n${policy('after')}` },
        { file: 'good.yaml', text: policy('good') },
      ],
      false,
    );
    assert.deepEqual(
      r.findings.map((f) => [f.file, f.document, f.message]),
      [['bomb.yaml', 0, 'YAML error: Excessive alias count indicates a resource exhaustion attack']],
    );
    assert.equal(r.valid, 2);
  });

  it('names the path of a directory read as a file, a symlink loop, and a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlo-manifests-'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('sub', join(dir, 'linked.yaml'));
    symlinkSync('loop.yaml', join(dir, 'loop.yaml'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ apiVersion: 'milvusload.io/v1alpha1', kind: 'CollectionLoadPolicy', metadata: { name: 'j', namespace: 's' }, spec: { milvus: { uri: 'http://m:19530' }, selector: { names: ['x'] } } }));
    assert.deepEqual(collectFiles(dir).map((f) => f.slice(dir.length + 1)), ['linked.yaml', 'loop.yaml', 'p.json']);
    const r = validateSources(readSources([dir], () => ({ ok: true, text: '' })), false);
    assert.match(r.findings[0]?.message ?? '', /linked\.yaml: is a directory, not a file/);
    assert.match(r.findings[1]?.message ?? '', /loop\.yaml: too many levels of symbolic links/);
    assert.equal(r.valid, 1, 'the .json file is read, as kubectl reads it');
    assert.throws(() => validateCommand(['-f', join(dir, 'missing.yaml')]), /missing\.yaml: no such file or directory/);
  });
});

describe('messages', () => {
  it('mask user information and escape control characters in values, names and paths', () => {
    const text = policy('esc')
      .replace('http://milvus:19530', 'http://root:SuperSecret123@milvus:19530')
      .replace('names: [products]', 'names: ["a\\e[31mred\\u009b2J"]');
    const out = formatText(validateSources([{ file: 'x\u001b]0;t\u0007.yaml', text }], false));
    assert.ok(!out.includes('SuperSecret123'), out);
    assert.ok(out.includes('"http://***@milvus:19530"'), out);
    assert.ok(out.includes('"a\\u001b[31mred\\u009b2J"'), out);
    assert.ok(out.includes('"x\\u001b]0;t\\u0007.yaml"#0'), out);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(out), 'no control character but newlines');
    const condition = formatFieldError({ path: 'spec.milvus.uri', type: 'Invalid', message: 'Invalid value: "https://u:p@h": bad' });
    assert.equal(condition, 'spec.milvus.uri: Invalid value: "https://***@h": bad');
  });

  it('print only the first line of a YAML error, not the source excerpt that may hold a secret', () => {
    const r = validateSources([{ file: 'b.yaml', text: 'token: a: SuperSecret123\n' }], false);
    assert.equal(r.findings.length, 1);
    assert.ok(!r.findings[0]?.message.includes('SuperSecret123'), r.findings[0]?.message);
  });
});

describe('YAML as kubectl reads it', () => {
  it('YAML 1.1 scalars, last duplicate key wins, no sexagesimal numbers or timestamps', () => {
    const parsed = parseManifest('a: [yes, no, on, off, y, n]\nb: 0755\nc: 22:00\nd: 2026-11-23\ne: 1\ne: 2\n');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.documents[0]?.value, { a: [true, false, true, false, true, false], b: 493, c: '22:00', d: '2026-11-23', e: 2 });
  });

  it('warns where YAML 1.1 changes the meaning, and not for quoted values', () => {
    const r = validateSources([{ file: 'w.yaml', text: policy('w', '  suspend: yes\n').replace('names: [products]', 'names: ["no"]') }], false);
    assert.equal(r.findings.length, 0);
    assert.deepEqual(
      r.warnings.map((w) => `${w.path}: ${w.message}`),
      ['spec.suspend: YAML 1.1, which kubectl reads, takes the bare yes as the boolean true, where YAML 1.2 reads "yes"; quote it ("yes") if you mean the text'],
    );
    assert.match(formatText(r), /^warning: w\.yaml#0 CollectionLoadPolicy search\/w: spec\.suspend: /);
  });
});
