// The rules of declared skips, apart from node:test so they are unit-tested
// (check.test.ts). reporter.ts feeds them what a run did.

export interface AllowedSkip {
  /** The file that defines the test (a shared suite is defined once for several test files). */
  readonly file: string;
  /** The full name, enclosing suites and the test joined by " > "; the part after the last " > " must match. */
  readonly test: string;
  /** Text the skip message must contain. */
  readonly reason: string;
  /** Allowed only while this tier is switched off on purpose (never with CI=true). */
  readonly tier?: string;
}

export interface Tier {
  /** Test files that exist to exercise this tier. */
  readonly files: readonly string[];
  /** `NAME=value`: the switch that turns the tier off on purpose (never allowed with CI=true). */
  readonly off?: string;
}

export interface AllowedSkips {
  readonly tiers: Readonly<Record<string, Tier>>;
  readonly skips: readonly AllowedSkip[];
}

export interface SkipSeen {
  /** Where the test is defined. */
  readonly file: string;
  /** The test's (or suite's) own name. */
  readonly test: string;
  /** Enclosing suites and the name, for messages. */
  readonly path: string;
  readonly message: string;
}

export interface RunRecord {
  readonly skips: SkipSeen[];
  /** Per test file that ran (its summary): tests passed. */
  readonly passedPerFile: Map<string, number>;
  readonly filesSeen: Set<string>;
}

const leaf = (fullName: string): string => fullName.split(' > ').pop() ?? fullName;

export interface Verdict {
  readonly ok: boolean;
  readonly report: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function switchedOff(tier: Tier, env: Env): boolean {
  if (tier.off === undefined) return false;
  const [name = '', value = ''] = tier.off.split('=');
  return env[name] === value;
}

export function checkRun(allowed: AllowedSkips, run: RunRecord, env: Env): Verdict {
  const ci = env.CI === 'true' || env.CI === '1';
  const full = env.MLO_SKIP_CHECK === 'full';
  const problems: string[] = [];
  const notes: string[] = [];
  const off = new Set<string>();
  for (const [name, tier] of Object.entries(allowed.tiers)) {
    if (!switchedOff(tier, env)) continue;
    off.add(name);
    if (ci) problems.push(`tier ${name} is turned off (${tier.off ?? ''}), but with CI=true every tier must run`);
    else notes.push(`tier ${name} turned off by ${tier.off ?? ''}: its tests did not run`);
  }
  const used = new Set<AllowedSkip>();
  let declared = 0;
  for (const s of run.skips) {
    const entry = allowed.skips.find((a) => a.file === s.file && leaf(a.test) === s.test && s.message.includes(a.reason) && (a.tier === undefined || (off.has(a.tier) && !ci)));
    if (entry) {
      used.add(entry);
      declared++;
    } else {
      problems.push(`undeclared skip: ${s.file}: "${s.path}" (${s.message || 'no reason given'})`);
    }
  }
  for (const [name, tier] of Object.entries(allowed.tiers)) {
    if (off.has(name) && !ci) continue;
    for (const f of tier.files) {
      if (!run.filesSeen.has(f)) {
        if (full) problems.push(`tier ${name}: ${f} did not run`);
        continue;
      }
      if ((run.passedPerFile.get(f) ?? 0) === 0) problems.push(`tier ${name}: ${f} ran but passed no test (the tier vanished into skips or failures)`);
    }
  }
  const definedIn = new Set(run.skips.map((x) => x.file));
  const stale = allowed.skips.filter((a) => a.tier === undefined && (run.filesSeen.has(a.file) || definedIn.has(a.file)) && !used.has(a));
  for (const a of stale) notes.push(`declared skip did not happen (remove it from test/skips/allowed.json if the test now runs): ${a.file}: "${a.test}"`);
  const lines = [`skip check: ${run.skips.length} skipped, ${declared} of them declared in test/skips/allowed.json${ci ? ' (CI: every tier must run)' : ''}`];
  for (const n of notes) lines.push(`skip check: note: ${n}`);
  for (const p of problems) lines.push(`skip check: FAIL: ${p}`);
  if (problems.length > 0) lines.push('skip check: declare a skip with its reason in test/skips/allowed.json, or make the tier run (docs/test-environment.md)');
  return { ok: problems.length === 0, report: `${lines.join('\n')}\n` };
}
