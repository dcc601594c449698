// `npm run bench [-- --quick] [-- --scenario NAME] [-- --operator-root DIR] [-- --report]`
// Builds the operator (npm run build), runs the benchmarks of DESIGN §4 on
// its compiled entry point and writes bench/results/*.json and
// docs/performance.md (+ docs/performance-growth.svg and
// docs/performance-memory.svg). See docs/performance.md.
import { join } from 'node:path';
import { FULL, QUICK, runBench, SCENARIOS, type ScenarioName } from './bench.ts';
import { baselineTable } from './report-memory.ts';
import { detailsSection, growthTable, loadResults, targetsTable, writeDocs } from './report.ts';
import { REPO_ROOT } from './session.ts';

const USAGE = `usage: npm run bench -- [--quick] [--scenario ${SCENARIOS.join('|')}] [--operator-root DIR] [--out DIR] [--report] [--no-docs]
  --quick           small sizes for a fast look (results in bench/results/quick/, docs untouched)
  --scenario NAME   run one scenario (repeatable)
  --operator-root   build and run the operator of another checkout (its dist/src/main.js)
  --out DIR         where the JSON results go (default bench/results)
  --report          only rewrite docs/performance.md from the results already there
  --no-docs         do not touch docs/
  --growth-sizes a,b,c  policies per growth point (default 1000,5000,10000,20000)
  --resume-growth       keep the growth points already in the results for their sizes
  --growth-timeout S    give up on a growth size not converged after S seconds
  --growth-budget S skip larger growth sizes once one takes longer than S seconds of operator time (default 150)`;

interface Args {
  quick: boolean;
  scenarios: ScenarioName[];
  operatorRoot?: string;
  out?: string;
  reportOnly: boolean;
  docs: boolean;
  growthBudget: number;
  growthTimeout?: number;
  resumeGrowth?: boolean;
  growthSizes?: number[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, scenarios: [], reportOnly: false, docs: true, growthBudget: 150 };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${f} needs a value\n${USAGE}`);
      return v;
    };
    if (f === '--quick') a.quick = true;
    else if (f === '--scenario') {
      const v = value();
      if (!(SCENARIOS as readonly string[]).includes(v)) throw new Error(`unknown scenario ${v}; use one of ${SCENARIOS.join(', ')}`);
      a.scenarios.push(v as ScenarioName);
    } else if (f === '--operator-root') a.operatorRoot = value();
    else if (f === '--out') a.out = value();
    else if (f === '--report') a.reportOnly = true;
    else if (f === '--no-docs') a.docs = false;
    else if (f === '--growth-budget') a.growthBudget = Number(value());
    else if (f === '--growth-timeout') a.growthTimeout = Number(value());
    else if (f === '--resume-growth') a.resumeGrowth = true;
    else if (f === '--growth-sizes') a.growthSizes = value().split(',').map(Number);
    else if (f === '--help' || f === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${f}\n${USAGE}`);
  }
  return a;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const a = parseArgs(argv);
  const outDir = a.out ?? join(REPO_ROOT, 'bench', 'results', ...(a.quick ? ['quick'] : []));
  if (!a.reportOnly) {
    await runBench({
      sizes: { ...(a.quick ? QUICK : FULL), ...(a.growthSizes ? { growth: a.growthSizes } : {}) },
      ...(a.growthTimeout !== undefined ? { growthTimeoutSeconds: a.growthTimeout } : {}),
      ...(a.resumeGrowth ? { resumeGrowth: true } : {}),
      ...(a.scenarios.length > 0 ? { scenarios: a.scenarios } : {}),
      outDir,
      ...(a.operatorRoot ? { operatorRoot: a.operatorRoot } : {}),
      command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
      growthBudgetSeconds: a.growthBudget,
    });
  }
  const loaded = await loadResults(outDir);
  const r = loaded.results;
  process.stdout.write(`\n## Targets\n\n${targetsTable(r)}\n\n## Growth\n\n${growthTable(r)}\n\n## Memory floor\n\n${baselineTable(r)}\n\n${detailsSection(r)}\n`);
  if (a.docs && !a.quick) {
    await writeDocs(loaded, join(REPO_ROOT, 'docs'), join(REPO_ROOT, 'bench', 'notes.md'));
    process.stdout.write('\nwrote docs/performance.md, docs/performance-growth.svg and docs/performance-memory.svg (when there are series)\n');
  }
}

main().then(
  // Informers and gRPC channels of finished sessions must not keep the process alive.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
