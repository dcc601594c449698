// `kubectl kustomize` of a directory of deploy/, parsed: for the tests that
// read what an install really contains.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { locateKubeAssets } from '../env/kube.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

export function run(cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** The objects `kubectl kustomize DIR` renders; DIR relative to the repository, or absolute. */
export async function kustomize(dir: string): Promise<Obj[]> {
  const { kubectl } = await locateKubeAssets();
  const r = await run(kubectl, ['kustomize', dir.startsWith('/') ? dir : join(root, dir)]);
  assert.equal(r.code, 0, `kubectl kustomize ${dir}:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

export function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `no ${kind} ${name} in the build`);
  return o;
}
