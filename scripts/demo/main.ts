// The demo, start to end: check what the machine has, start the sandbox,
// create collections, install the CRDs and the demo's policies, preview them
// with `plan`, run the operator, and script three things a person should see
// within a minute: a load, a release, and drift put right.
import { join } from 'node:path';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { planCommand } from '../../src/cli/plan.ts';
import { spawnOperator } from '../../test/env/operator.ts';
import type { ManagedProcess } from '../../test/env/process.ts';
import { makeTempDir, type TempDir } from '../../test/env/temp-dir.ts';
import { Board, milvusStates, type Step } from './board.ts';
import { checkPrerequisites } from './prerequisites.ts';
import { createCollections, installCrdsAndManifests, kubectlOk, NAMESPACE, startSandbox, type Sandbox } from './sandbox.ts';

const HELP = `Usage: npm run demo [-- --exit-after SECONDS]
       node scripts/demo.ts [--exit-after SECONDS]

Starts a sandbox on this machine (a real kube-apiserver with etcd, and Milvus
Lite), creates sample collections, installs the CRDs and the policies in
scripts/demo/manifests/, shows what the operator would do (plan), then runs
the operator with a live table of policies and collections. Within a minute
it shows a load, a release (a policy set to Released) and drift put right (a
collection released behind the operator's back). Ctrl-C stops everything it
started and removes its files.

  --exit-after SECONDS   stop on its own: as soon as all three steps were seen
                         (exit 0), or after SECONDS at the latest (exit 1)
                         [MLO_DEMO_EXIT_AFTER]

The first run builds kube-apiserver/etcd (needs Go) and installs Milvus Lite
(needs Python 3.10+), once; both are cached in ~/.cache/milvus-load-operator.
`;

const STEP_TIMEOUT_MS = 60_000;
const RESYNC = '3s';

interface DemoFlags {
  exitAfterMs?: number;
}

function parseFlags(argv: readonly string[]): DemoFlags | 'help' {
  const flags: DemoFlags = {};
  const fromEnv = process.env.MLO_DEMO_EXIT_AFTER;
  const seconds = (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--exit-after ${v}: give a number of seconds, e.g. --exit-after 90`);
    return n * 1000;
  };
  if (fromEnv) flags.exitAfterMs = seconds(fromEnv);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--exit-after') flags.exitAfterMs = seconds(argv[++i] ?? '');
    else if (a.startsWith('--exit-after=')) flags.exitAfterMs = seconds(a.slice('--exit-after='.length));
    else throw new Error(`unknown argument ${a}; see node scripts/demo.ts --help`);
  }
  return flags;
}

async function waitFor(what: string, f: () => Promise<boolean>, timeoutMs = STEP_TIMEOUT_MS): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await f().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function state(observer: MilvusClient, name: string): Promise<string | undefined> {
  return (await milvusStates(observer)).get(name);
}

/** The three scripted steps; each marks its Step done (or failed) and narrates one line. */
async function script(board: Board, sb: Sandbox, operatorStarted: number): Promise<void> {
  const [load, release, drift] = board.steps as [Step, Step, Step];
  // On a terminal, time to look at the table between steps; a log needs none.
  const pause = (): Promise<void> => new Promise((res) => setTimeout(res, board.tty ? 5000 : 1000));
  const run = async (step: Step, f: () => Promise<string>): Promise<void> => {
    step.state = 'running';
    try {
      step.detail = await f();
      step.state = 'done';
      board.say(`✓ ${step.title}: ${step.detail}`);
    } catch (e: unknown) {
      step.state = 'failed';
      step.detail = (e as Error).message;
      board.say(`✗ ${step.title}: ${step.detail}`);
      throw e;
    }
  };
  await run(load, async () => {
    load.detail = 'the operator is loading products and reviews (policies products-hot, reviews-hot)';
    board.say('step 1/3 load: the operator reads the policies and loads products and reviews');
    await waitFor('products and reviews loaded', async () => (await state(sb.observer, 'products')) === 'Loaded' && (await state(sb.observer, 'reviews')) === 'Loaded');
    return `products and reviews are Loaded in Milvus, ${secs(Date.now() - operatorStarted)} after the operator started`;
  });
  await pause();
  await run(release, async () => {
    board.say(`step 2/3 release: kubectl patch clp reviews-hot -n ${NAMESPACE} --type merge -p '{"spec":{"state":"Released"}}'`);
    await kubectlOk(sb.kube, ['patch', 'clp', 'reviews-hot', '-n', NAMESPACE, '--type', 'merge', '-p', '{"spec":{"state":"Released"}}']);
    const took = await waitFor('reviews released', async () => (await state(sb.observer, 'reviews')) === 'Released');
    return `reviews-hot set to Released; the operator released reviews ${secs(took)} later`;
  });
  await pause();
  await run(drift, async () => {
    // Drift is a departure from what the operator last recorded: wait until its status says products is Loaded.
    await waitFor('products-hot status Loaded', async () =>
      (await kubectlOk(sb.kube, ['get', 'clp', 'products-hot', '-n', NAMESPACE, '-o', 'jsonpath={.status.collections[?(@.name=="products")].state}'])) === 'Loaded',
    );
    board.say(`step 3/3 drift: releasing products behind the operator's back (release_collection with our own SDK client); it loads it again within one resync (${RESYNC})`);
    await sb.observer.releaseCollection({ collection_name: 'products' });
    const released = Date.now();
    await waitFor('products loaded again', async () => (await state(sb.observer, 'products')) === 'Loaded');
    return `products was released by hand; the operator loaded it again ${secs(Date.now() - released)} later (event DriftCorrected)`;
  });
}

interface Running {
  sandbox?: Sandbox;
  operator?: ManagedProcess;
  dir?: TempDir;
  ticker?: NodeJS.Timeout;
}

/** Stops what was started, newest first. Safe to call twice. */
function stopper(r: Running, say: (line: string) => void): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      clearInterval(r.ticker);
      say('stopping: the operator, Milvus Lite, kube-apiserver and etcd');
      await r.operator?.stop(15_000);
      await r.sandbox?.stop();
      await r.dir?.remove();
      say('stopped everything the demo started and removed its files');
    })();
    return stopping;
  };
}

/**
 * The test harness exits at once on SIGINT/SIGTERM (its exit hook then
 * SIGKILLs children and removes directories). The demo stops gracefully
 * first; the harness's exit hook stays as the backstop, and a second Ctrl-C
 * exits at once.
 */
function ownSignals(onSignal: (sig: NodeJS.Signals) => void): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(sig);
    process.once(sig, () => {
      process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
      onSignal(sig);
    });
  }
}

async function preview(board: Board, kubeconfig: string): Promise<void> {
  board.say(`what the operator would do (milvus-load-operator plan -n ${NAMESPACE}):`);
  const r = await planCommand(['--kubeconfig', kubeconfig, '-n', NAMESPACE, '--no-color']);
  process.stdout.write(`${r.out.trimEnd().replace(/^/gm, '    ')}\n`);
  if (board.tty) await new Promise((res) => setTimeout(res, 4000));
}

async function start(r: Running, board: (sb: Sandbox) => Board, say: (l: string) => void): Promise<{ board: Board; operatorStarted: number }> {
  const started = Date.now();
  r.dir = await makeTempDir('mlo-demo-');
  say('starting the sandbox: kube-apiserver + etcd and Milvus Lite');
  r.sandbox = await startSandbox(say);
  const sb = r.sandbox;
  say(`creating sample collections in Milvus Lite (rows + FLAT index, then released): products, reviews, logs_2025_12, scratch`);
  await createCollections(sb.observer);
  say(`installing the CRDs and applying scripts/demo/manifests/ (namespace ${NAMESPACE}, 3 policies, 1 budget) pointed at ${sb.milvus.uri}`);
  await installCrdsAndManifests(sb.kube, sb.milvus.uri);
  const b = board(sb);
  b.started = started;
  await preview(b, sb.kube.kubeconfigPath);
  const logFile = join(r.dir.path, 'operator.log');
  // Metrics and health on free ports: the defaults (:8080, :8081) may be taken on this machine.
  const op = await spawnOperator({ kubeconfig: sb.kube.kubeconfigPath, logFile, resync: RESYNC });
  r.operator = op.proc;
  b.header = `operator pid ${r.operator.pid}, resync ${RESYNC}, log ${logFile}`;
  b.say(`operator started (pid ${r.operator.pid}): node src/main.ts run --resync ${RESYNC}; its JSON log: ${logFile}; its metrics: ${op.metricsUrl}`);
  b.say(`try it yourself meanwhile: KUBECONFIG=${sb.kube.kubeconfigPath} ${sb.kube.kubectlPath} get clp -n ${NAMESPACE}`);
  return { board: b, operatorStarted: Date.now() };
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  let flags: DemoFlags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (e: unknown) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    return 2;
  }
  if (flags === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const tty = process.stdout.isTTY;
  const plain = (line: string): void => void process.stdout.write(`demo: ${line}\n`);
  const pre = checkPrerequisites();
  if (pre.missing.length > 0) {
    process.stderr.write(`demo: this machine is missing what the demo needs. Install:\n${pre.missing.map((m) => `  - ${m}\n`).join('')}then run \`npm run demo\` again.\n`);
    return 1;
  }
  if (pre.firstRun.length > 0) plain(`first run on this machine: ${pre.firstRun.join('; ')}. Once only: later runs start in seconds.`);
  // The build scripts write a progress line; on a terminal they may rewrite it
  // in place, unless two builds run at once and would overwrite each other.
  if (process.stderr.isTTY && pre.firstRun.length < 2) process.env.MLO_PROGRESS ??= 'tty';
  const r: Running = {};
  let say = plain;
  const stop = stopper(r, (l) => say(l));
  const finished = new Promise<number>((resolve) => {
    ownSignals((sig) => {
      say(`${sig}: stopping`);
      void stop().then(() => resolve(sig === 'SIGINT' ? 130 : 143));
    });
  });
  const steps: Step[] = [
    { title: 'load', state: 'waiting', detail: '' },
    { title: 'release', state: 'waiting', detail: '' },
    { title: 'drift', state: 'waiting', detail: '' },
  ];
  const outcome = (async (): Promise<number> => {
    const { board, operatorStarted } = await start(r, (sb) => new Board(sb.kube.kubeconfigPath, sb.observer, steps, tty), plain);
    say = (l) => board.say(l);
    // Harness processes started above hooked the signals again: take them back.
    ownSignals((sig) => {
      say(`${sig}: stopping`);
      void stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
    let busy = false;
    r.ticker = setInterval(() => {
      if (busy) return;
      busy = true;
      void board.refresh().finally(() => (busy = false));
    }, 1000);
    const deadline = flags.exitAfterMs;
    const scripted = script(board, r.sandbox as Sandbox, operatorStarted).then(
      () => true,
      () => false,
    );
    const timedOut = deadline === undefined ? new Promise<never>(() => undefined) : new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), deadline).unref());
    const result = await Promise.race([scripted, timedOut]);
    await board.refresh();
    const done = steps.filter((s) => s.state === 'done').length;
    if (result === true) say(`all three steps seen: load, release, drift corrected (${board.elapsed()} since the demo started)`);
    else say(`only ${done} of 3 steps seen${result === 'timeout' ? ` within --exit-after ${deadline! / 1000} s` : ''}; the operator's last log lines:\n${r.operator?.tail(15) ?? ''}`);
    if (deadline === undefined) {
      say('the operator keeps running: change the policies with kubectl (see above), or press Ctrl-C to stop everything');
      return await new Promise<number>(() => undefined);
    }
    await new Promise((res) => setTimeout(res, 1500));
    await stop();
    return result === true ? 0 : 1;
  })();
  try {
    return await Promise.race([outcome, finished]);
  } catch (e: unknown) {
    say(`failed: ${(e as Error).message}`);
    await stop();
    return 1;
  }
}
