// Micro-benchmark of glob matching (issue 19): the worst case the schema
// allows, a 255-character glob of 127 stars against a 255-character name,
// (and the input that costs the new matcher most), with the matcher of
// src/api/glob.ts and with the RegExp it replaced. No
// apiserver and no simulator. The RegExp runs in a worker that is terminated
// after a deadline, since a backtracking match cannot be interrupted.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { compileGlob } from '../src/api/glob.ts';
import { compileGlobAsRegExp } from '../test/fixtures/glob-regexp.ts';

export interface GlobCase {
  readonly label: string;
  readonly globLength: number;
  readonly nameLength: number;
  /** Median of `runs` matches with the current matcher. */
  readonly matcherMicros: number;
  readonly runs: number;
  /** One match with the old RegExp, in milliseconds; undefined when it had not finished by `regexDeadlineSeconds`. */
  readonly regexMs: number | undefined;
  readonly regexDeadlineSeconds: number;
}

export interface GlobBenchResult {
  readonly cases: GlobCase[];
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const re = new RegExp(workerData.source);
const t = performance.now();
re.test(workerData.name);
parentPort.postMessage(performance.now() - t);
`;

function timeRegex(source: string, name: string, deadlineMs: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { source, name } });
    const timer = setTimeout(() => {
      void w.terminate().then(() => resolve(undefined), reject);
    }, deadlineMs);
    w.once('message', (ms: number) => {
      clearTimeout(timer);
      void w.terminate().then(() => resolve(ms), reject);
    });
    w.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function timeMatcher(glob: string, name: string, runs: number): number {
  const c = compileGlob(glob);
  if (!c.ok) throw new Error(`bench glob ${glob} does not compile: ${c.error}`);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    c.glob.test(name);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(runs / 2)] ?? 0;
}

async function measure(label: string, glob: string, name: string, regexDeadlineSeconds: number): Promise<GlobCase> {
  const old = compileGlobAsRegExp(glob);
  if (!old.ok) throw new Error(`bench glob ${glob} does not compile as a RegExp: ${old.error}`);
  const runs = 1000;
  const regexMs = await timeRegex(old.regex.source, name, regexDeadlineSeconds * 1000);
  return {
    label,
    globLength: glob.length,
    nameLength: name.length,
    matcherMicros: Math.round(timeMatcher(glob, name, runs) * 1000 * 10) / 10,
    runs,
    regexMs: regexMs === undefined ? undefined : Math.round(regexMs * 1000) / 1000,
    regexDeadlineSeconds,
  };
}

export async function globWorstCase(): Promise<GlobBenchResult> {
  return {
    cases: [
      await measure('issue 19: a*a*a*a*a*a*a*a*b vs 55 a', 'a*a*a*a*a*a*a*a*b', 'a'.repeat(55), 60),
      await measure('schema maximum: (a*)×127 b vs 255 a', `${'a*'.repeat(127)}b`, 'a'.repeat(255), 30),
      // The two-pointer matcher's own worst case: every retry from the one star walks the rest of the glob.
      await measure('matcher worst case: * a×253 b vs 255 a', `*${'a'.repeat(253)}b`, 'a'.repeat(255), 30),
    ],
  };
}
