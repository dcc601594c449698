// The Dockerfile as data: its stages with base image, WORKDIR, ENV, LABEL,
// USER, ENTRYPOINT, CMD and the RUN/COPY steps in order. One reader for the
// image test, which carries the stages out, and for the bench, which runs
// the operator with the final stage's ENTRYPOINT flags and ENV.
import { join } from 'node:path';

export interface Stage {
  name: string;
  base: string;
  workdir: string;
  /** Where the image test carries the stage out (under its workRoot). */
  dir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  labels: Record<string, string>;
  runs: string[];
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; rest: string }[] {
  const out: { op: string; rest: string }[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (!pending && /^\s*(#|$)/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (m) out.push({ op: m[1]!.toUpperCase(), rest: m[2]!.trim() });
  }
  return out;
}

/** `KEY=value KEY2="v w"` pairs, as ENV, LABEL and ARG write them. */
function pairs(rest: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of rest.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return out;
}

/** The stages of a Dockerfile's text; `workRoot` is where the image test puts each stage's files. */
export function parseStages(dockerfile: string, workRoot = ''): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const expand = (s: string): string => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? '');
  for (const { op, rest } of instructions(dockerfile)) {
    const stage = stages.at(-1);
    if (op === 'ARG') Object.assign(args, pairs(rest));
    else if (op === 'FROM') {
      const [base, , name] = expand(rest).split(/\s+/);
      const n = name ?? `stage-${stages.length}`;
      stages.push({ name: n, base: base ?? '', workdir: '/', dir: join(workRoot, n), env: {}, labels: {}, runs: [] });
    } else if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    else if (op === 'WORKDIR') stage.workdir = rest;
    else if (op === 'ENV') Object.assign(stage.env, pairs(rest));
    else if (op === 'LABEL') Object.assign(stage.labels, pairs(expand(rest)));
    else if (op === 'USER') stage.user = rest;
    else if (op === 'ENTRYPOINT') stage.entrypoint = JSON.parse(rest) as string[];
    else if (op === 'CMD') stage.cmd = JSON.parse(rest) as string[];
    else if (op === 'RUN' || op === 'COPY') stage.runs.push(`${op} ${rest}`);
    else if (op !== 'EXPOSE') throw new Error(`Dockerfile: ${op} is not reproduced by this test; teach it ${op} or do without`);
  }
  return stages;
}
