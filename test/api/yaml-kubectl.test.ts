// `validate` reads YAML as kubectl does (issue 19): for each row, the real
// kubectl (`create --dry-run=server`, the CRDs installed on a real
// kube-apiserver) and `validate` must accept or reject alike, name the same
// fields, and for accepted rows see the same spec after defaulting.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { validatePolicy } from '../../src/api/resources.ts';
import { parseManifest, readSource } from '../../src/cli/manifests.ts';
import { readSources, validateSources } from '../../src/cli/validate.ts';
import { startKube, type KubeEnv } from '../env/kube.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const policy = (spec: string, extraMeta = ''): string =>
  `apiVersion: milvusload.io/v1alpha1\nkind: CollectionLoadPolicy\nmetadata:\n  name: p\n  namespace: search\n${extraMeta}spec:\n  milvus:\n    uri: "http://milvus:19530"\n${spec}`;

interface Row {
  readonly name: string;
  readonly yaml: string;
}

const rows: readonly Row[] = [
  { name: 'names: [yes, no, on] are booleans', yaml: policy('  selector:\n    names: [yes, no, on]\n') },
  { name: 'names: ["yes"] quoted is a name', yaml: policy('  selector:\n    names: ["yes"]\n') },
  { name: 'suspend: yes is true', yaml: policy('  selector: { names: [a] }\n  suspend: yes\n') },
  { name: 'suspend: on is true', yaml: policy('  selector: { names: [a] }\n  suspend: on\n') },
  { name: 'suspend: off is false', yaml: policy('  selector: { names: [a] }\n  suspend: off\n') },
  { name: 'suspend: y is true', yaml: policy('  selector: { names: [a] }\n  suspend: y\n') },
  { name: 'suspend: "yes" quoted is a string', yaml: policy('  selector: { names: [a] }\n  suspend: "yes"\n') },
  { name: 'duplicate key: the last wins', yaml: policy('  selector: { names: [a] }\n  state: Released\n  state: Loaded\n') },
  { name: 'duplicate key: an invalid first value is overwritten', yaml: policy('  selector: { names: [a] }\n  state: Bogus\n  state: Released\n') },
  { name: 'duplicate key: an invalid last value counts', yaml: policy('  selector: { names: [a] }\n  state: Released\n  state: Bogus\n') },
  { name: 'unquoted 22:00 and 07:30 stay text (no sexagesimal)', yaml: policy('  selector: { names: [a] }\n  schedule:\n    windows:\n      - start: 07:30\n        end: 22:00\n') },
  { name: 'priority: 010 is octal 8', yaml: policy('  selector: { names: [a] }\n  priority: 010\n') },
  { name: 'priority: 0x10 is 16', yaml: policy('  selector: { names: [a] }\n  priority: 0x10\n') },
  { name: 'priority: 1_000 is 1000', yaml: policy('  selector: { names: [a] }\n  priority: 1_000\n') },
  { name: 'memoryEstimate: 1e3 is a number', yaml: policy('  selector: { names: [a] }\n  load:\n    memoryEstimate: 1e3\n') },
  { name: 'an unquoted timestamp annotation stays text', yaml: policy('  selector: { names: [a] }\n', '  annotations:\n    milvusload.io/refresh: 2026-11-23T10:00:00Z\n') },
  { name: 'a merge key (<<) merges', yaml: `${policy('  selector: { names: [a] }\n').replace('  milvus:\n    uri: "http://milvus:19530"\n', '  milvus:\n    <<: { uri: "http://milvus:19530", timeoutSeconds: 12 }\n')}` },
  { name: 'a document without apiVersion and kind', yaml: `x: 1\n---\n${policy('  selector: { names: [a] }\n')}` },
  { name: 'names: [a, ~] has a null item', yaml: policy('  selector:\n    names: [a, ~]\n') },
  { name: 'names: [a, null] has a null item', yaml: policy('  selector:\n    names: [a, null]\n') },
];

describe('YAML: kubectl and validate read it alike', { timeout: 600_000 }, () => {
  let kube: KubeEnv;
  let dir: string;
  const table: string[] = ['| row | kubectl | validate |', '| --- | --- | --- |'];
  before(async () => {
    kube = await startKube();
    const r = await kube.kubectl(['apply', '--server-side', '-f', `${root}crds/`]);
    assert.equal(r.code, 0, r.stderr);
    const w = await kube.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/collectionloadpolicies.milvusload.io']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal((await kube.kubectl(['create', 'namespace', 'search'])).code, 0);
    dir = mkdtempSync(join(tmpdir(), 'mlo-yaml-kubectl-'));
  });
  after(async (t) => {
    t.diagnostic(`\n${table.join('\n')}`);
    await kube?.stop();
  });

  rows.forEach((row, i) => {
    it(row.name, async () => {
      const file = join(dir, `row${i}.yaml`);
      writeFileSync(file, row.yaml);
      const k = await kube.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', file]);
      const source = readSource(file);
      assert.ok(source.ok);
      const report = validateSources([{ file, text: source.text }], false);
      const kubectlSays = k.code === 0 ? 'accepted' : `rejected: ${k.stderr.trim().split('\n').at(-1) ?? ''}`;
      const validateSays = report.findings.length === 0 ? 'accepted' : `rejected: ${report.findings.map((f) => `${f.path}: ${f.message}`).join('; ')}`;
      const warned = report.warnings.length > 0 ? ` (${report.warnings.length} warning${report.warnings.length > 1 ? 's' : ''})` : '';
      table.push(`| ${row.name} | ${kubectlSays.replaceAll('|', '\\|')} | ${validateSays.replaceAll('|', '\\|')}${warned} |`);
      assert.equal(report.findings.length === 0, k.code === 0, `kubectl: ${kubectlSays}\nvalidate: ${validateSays}`);
      if (k.code !== 0) {
        for (const f of report.findings) assert.ok(k.stderr.includes(f.path), `kubectl names ${f.path}: ${k.stderr}`);
        return;
      }
      // Accepted by both: the spec kubectl sent, defaulted by the apiserver, is the one validate read and defaulted.
      const created = JSON.parse(k.stdout) as { spec: unknown; metadata: { annotations?: Record<string, string> } };
      const parsed = parseManifest(source.text);
      assert.ok(parsed.ok);
      const doc = parsed.documents.find((d) => (d.value as { kind?: string } | undefined)?.kind === 'CollectionLoadPolicy');
      const ours = validatePolicy(doc?.value);
      assert.ok(ours.ok);
      assert.deepEqual(ours.object.spec, created.spec);
      assert.deepEqual(ours.object.metadata.annotations, created.metadata.annotations);
    });
  });

  it('reads .json files in a directory, as kubectl -f DIR does', async () => {
    const d = join(dir, 'mixed');
    mkdirSync(d);
    writeFileSync(join(d, 'a.yaml'), policy('  selector: { names: [a] }\n').replace('name: p', 'name: from-yaml'));
    writeFileSync(join(d, 'b.json'), JSON.stringify({ apiVersion: 'milvusload.io/v1alpha1', kind: 'CollectionLoadPolicy', metadata: { name: 'from-json', namespace: 'search' }, spec: { milvus: { uri: 'http://milvus:19530' }, selector: { names: ['b'] } } }));
    writeFileSync(join(d, 'c.txt'), 'not a manifest');
    const k = await kube.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', d]);
    assert.equal(k.code, 0, k.stderr);
    const report = validateSources(readSources([d], () => ({ ok: true, text: '' })), false);
    table.push(`| a directory with a.yaml, b.json, c.txt | ${k.stdout.trim().split('\n').length} objects | ${report.objects} objects |`);
    assert.equal(report.objects, k.stdout.trim().split('\n').length);
    assert.equal(report.valid, 2);
  });
});
