// What GitOps tools make of a CollectionLoadPolicy's status, checked on real
// statuses: the operator runs against a real kube-apiserver and the Milvus
// simulator (failures real servers cannot produce on demand: a stuck load,
// a missing index, Milvus gone) and, for the happy path, real Milvus Lite.
// Each object is read back with `kubectl get -o json` and given to
// - deploy/argocd/health.lua under Lua 5.1 (Debian's lua5.1), in the sandbox
//   Argo CD gives a check from argocd-cm: base, table and os only;
// - status.Compute of sigs.k8s.io/cli-utils' kstatus (Flux `wait: true`),
//   built from the Go module proxy by test/env/build/kstatus.sh.
// The expected values are the tables in the README's GitOps section.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startKube, type KubeEnv } from '../env/kube.ts';
import { MilvusUnavailableError, startMilvusLite, type MilvusServer } from '../env/milvus.ts';
import { startSimulator, type MilvusSimulator } from '../simulator/index.ts';
import { apply, getPolicy, installCrds, policy, root, startOperator, untilPolicy, type OperatorProcess, type PolicyView } from '../reliability/support.ts';

const NS = 'health';
const HEALTH_LUA = join(root, 'deploy/argocd/health.lua');
const KSTATUS_SCRIPT = join(root, 'test/env/build/kstatus.sh');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Verdict {
  status: string;
  message: string;
}

function run(cmd: string, args: readonly string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
    // A program that exits without reading its stdin (the build script when
    // the build is cached) closes the pipe: its exit code and stderr tell the rest.
    child.stdin?.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin?.end(input);
  });
}

// --- Lua ---------------------------------------------------------------------

/** A Lua 5.1 string literal: printable ASCII as is, every other byte as \ddd (Lua 5.1 has no \u). */
function luaString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `${out}"`;
}

/** The table Argo CD's decodeValue builds from the object: maps keyed by strings, arrays from 1, null as nil. */
function luaValue(v: Json): string {
  if (v === null) return 'nil';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return luaString(v);
  if (Array.isArray(v)) return `{${v.map(luaValue).join(',')}}`;
  return `{${Object.entries(v)
    .map(([k, x]) => `[${luaString(k)}]=${luaValue(x)}`)
    .join(',')}}`;
}

/**
 * Runs a health script as Argo CD's util/lua runLua does for a check from
 * argocd-cm (useOpenLibs false): only the base, table and os libraries, and
 * strings without methods (no string library is loaded). Prints the status,
 * a tab, the message.
 */
function luaProgram(source: string, object: Json): string {
  return `
local script = assert(loadstring(${luaString(source)}, "=health.lua"))
local env = { obj = ${luaValue(object)}, table = table, os = { time = os.time, date = os.date, clock = os.clock } }
for _, name in ipairs({ "assert", "error", "ipairs", "pairs", "next", "pcall", "xpcall", "select", "tonumber", "tostring",
    "type", "unpack", "rawequal", "rawget", "rawset", "getmetatable", "setmetatable", "_VERSION" }) do
  env[name] = _G[name]
end
env._G = env
setfenv(script, env)
local write, exit = io.write, os.exit
getmetatable("").__index = nil
local ok, hs = pcall(script)
if not ok then write("error\\t" .. tostring(hs)); exit(1) end
if type(hs) ~= "table" or type(hs.status) ~= "string" or type(hs.message) ~= "string" then
  write("error\\tthe script must return a table with string status and message, got " .. type(hs)); exit(1)
end
write(hs.status .. "\\t" .. hs.message)
`;
}

async function argoHealth(object: Json): Promise<Verdict> {
  const r = await run('lua5.1', ['-'], luaProgram(await readFile(HEALTH_LUA, 'utf8'), object));
  const [status = '', ...rest] = r.stdout.split('\t');
  assert.equal(r.code, 0, `lua5.1 deploy/argocd/health.lua failed: ${r.stdout}${r.stderr}`);
  return { status, message: rest.join('\t') };
}

async function luaMissing(): Promise<string | undefined> {
  const r = await new Promise<{ code: number | null; error?: string }>((resolve) => {
    const p = spawn('lua5.1', ['-v'], { stdio: 'ignore' });
    p.on('error', (e) => resolve({ code: null, error: e.message }));
    p.on('exit', (code) => resolve({ code }));
  });
  if (r.code === 0) return undefined;
  const why = `lua5.1 is not installed (${r.error ?? `exit ${r.code}`}); on Debian: apt-get install lua5.1 (npm test's prepare step installs it when it runs as root)`;
  // In CI every tier runs: a missing interpreter is a failure there, not a skip.
  if (process.env.CI) assert.fail(why);
  return why;
}

// --- kstatus -------------------------------------------------------------------

let kstatusBin: Promise<string> | undefined;

/** MLO_KSTATUS, else the cached build (made on first use; `npm test`'s prepare step makes it ahead). */
function locateKstatus(): Promise<string> {
  const fromEnv = process.env.MLO_KSTATUS;
  if (fromEnv) return Promise.resolve(fromEnv);
  kstatusBin ??= run('bash', [KSTATUS_SCRIPT]).then((r) => {
    if (r.code !== 0) throw new Error(`${KSTATUS_SCRIPT} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
    return r.stdout.trim().split('\n').pop() ?? '';
  });
  return kstatusBin;
}

async function kstatus(object: Json): Promise<Verdict> {
  const r = await run(await locateKstatus(), [], JSON.stringify(object));
  assert.equal(r.code, 0, `kstatus failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdict;
}

// --- the README copy -------------------------------------------------------------

const README_KEY = 'resource.customizations.health.milvusload.io_CollectionLoadPolicy: |';

/** The health check as the README's argocd-cm snippet embeds it (indented under its key). */
function readmeCopy(readme: string): string {
  const lines = readme.split('\n');
  const at = lines.findIndex((l) => l.trim() === README_KEY);
  assert.ok(at >= 0, `README.md has no line "${README_KEY}"`);
  const indent = /^ */.exec(lines[at]!)![0].length + 2;
  const body: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith('```')) break;
    body.push(line.slice(indent));
  }
  return `${body.join('\n').trimEnd()}\n`;
}

describe('deploy/argocd/health.lua, without a server', () => {
  it('the README embeds exactly deploy/argocd/health.lua', async () => {
    const [file, readme] = await Promise.all([readFile(HEALTH_LUA, 'utf8'), readFile(join(root, 'README.md'), 'utf8')]);
    assert.equal(readmeCopy(readme), file, 'README.md GitOps section and deploy/argocd/health.lua differ: paste the file under the argocd-cm key, indented by 4 spaces');
  });

  it('the sandbox is as strict as Argo CD: a script that uses the string library fails', async (t) => {
    const missing = await luaMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    for (const probe of ['string.format("%s", obj.metadata.name)', 'obj.metadata.name:upper()']) {
      const r = await run('lua5.1', ['-'], luaProgram(`return { status = "Healthy", message = ${probe} }`, { metadata: { name: 'x' } }));
      assert.equal(r.code, 1, `a script calling ${probe} ran, but Argo CD has no string library for it: ${r.stdout}`);
      assert.match(r.stdout, /^error\t/);
    }
  });
});

// --- the states, on real servers -------------------------------------------------

interface Row {
  /** The state as the README's tables name it. */
  readonly state: string;
  readonly argo: string;
  readonly kstatus: string;
  /** `kubectl wait --for=condition=Ready` on the object in that state: 'met', or 'waits' (still waiting at its 2 s timeout). */
  readonly kubectlWait: string;
}

/** Today's answers, as the README's table gives them. (!): what Flux gets wrong today (the table's notes 1 and 2). */
const ROWS: readonly Row[] = [
  { state: 'new (not observed yet)', argo: 'Progressing', kstatus: 'InProgress', kubectlWait: 'waits' }, // status.observedGeneration defaults to 0
  { state: 'spec changed, not yet observed', argo: 'Progressing', kstatus: 'InProgress', kubectlWait: 'waits' },
  { state: 'Loading', argo: 'Progressing', kstatus: 'InProgress', kubectlWait: 'waits' },
  { state: 'Ready (simulator)', argo: 'Healthy', kstatus: 'Current', kubectlWait: 'met' },
  { state: 'Deferred by a budget', argo: 'Progressing', kstatus: 'InProgress', kubectlWait: 'waits' },
  { state: 'Suspended (spec.suspend)', argo: 'Suspended', kstatus: 'InProgress', kubectlWait: 'waits' }, // (!) Flux waits for its timeout
  { state: 'Suspended (managed: "false")', argo: 'Suspended', kstatus: 'InProgress', kubectlWait: 'waits' }, // (!)
  { state: 'terminal error (IndexNotFound)', argo: 'Degraded', kstatus: 'Failed', kubectlWait: 'waits' },
  { state: 'Secret missing', argo: 'Degraded', kstatus: 'Failed', kubectlWait: 'waits' },
  { state: 'Milvus down', argo: 'Degraded', kstatus: 'InProgress', kubectlWait: 'waits' },
  { state: 'Conflict (lower priority)', argo: 'Degraded', kstatus: 'Failed', kubectlWait: 'waits' }, // Stalled: needs a person
  { state: 'CollectionNotFound', argo: 'Degraded', kstatus: 'Failed', kubectlWait: 'waits' }, // Stalled: needs a person
];

const cond = (p: PolicyView, type: string): string => {
  const c = p.conditions.get(type);
  return c ? `${c.status}/${c.reason}` : '-';
};
const current = (p: PolicyView): boolean => p.observedGeneration === p.generation;

describe('Argo CD health and kstatus of real policy statuses', { timeout: 900_000 }, () => {
  let kube: KubeEnv;
  let sim: MilvusSimulator;
  let simBudget: MilvusSimulator;
  let simDown: MilvusSimulator;
  let lite: MilvusServer | undefined;
  let liteUnavailable = '';
  let op: OperatorProcess | undefined;
  /** Each state's object as `kubectl get -o json` returned it. */
  const seen = new Map<string, { view: PolicyView; object: Json; kubectlWait: string }>();

  /** kubectl itself, not kube.kubectl (which retries a wait that fails for want of conditions). */
  const kubectlWait = async (name: string): Promise<string> => {
    const r = await run(kube.kubectlPath, [`--kubeconfig=${kube.kubeconfigPath}`, 'wait', '--for=condition=Ready', `clp/${name}`, '-n', NS, '--timeout=2s']);
    if (r.code === 0) return 'met';
    return /timed out waiting/.test(r.stderr) ? 'waits' : `error: ${r.stderr.trim()}`;
  };
  const keep = async (state: string, name: string, view: PolicyView): Promise<void> => {
    seen.set(state, { view, object: view.raw as Json, kubectlWait: await kubectlWait(name) });
  };
  const reach = async (state: string, name: string, ok: (p: PolicyView) => boolean): Promise<void> => {
    await keep(state, name, await untilPolicy(kube, { ns: NS, name, ...(op ? { op } : {}) }, state, (p) => current(p) && ok(p), 90_000));
  };

  before(async () => {
    [sim, simBudget, simDown] = await Promise.all([startSimulator({ loadMillis: 300 }), startSimulator({ loadMillis: 300 }), startSimulator({ loadMillis: 300 })]);
    for (const name of ['hot', 'warming', 'held', 'idle', 'shared', 'fresh']) sim.state.createCollection('default', name, { rows: 100 });
    sim.state.createCollection('default', 'noindex', { rows: 100, indexed: false });
    sim.faults.stuckLoads({ collection: 'warming', atPercent: 40 });
    simBudget.state.createCollection('default', 'big', { rows: 100 });
    simDown.state.createCollection('default', 'orders', { rows: 100 });
    kube = await startKube();
    try {
      lite = await startMilvusLite();
    } catch (e: unknown) {
      if (!(e instanceof MilvusUnavailableError)) throw e;
      liteUnavailable = e.message;
    }
    if (lite) {
      const c = new MilvusClient({ address: lite.address, telemetry: { enabled: false } });
      await c.createCollection({ collection_name: 'products', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vec', data_type: DataType.FloatVector, dim: 8 }] });
      await c.insert({ collection_name: 'products', data: Array.from({ length: 20 }, (_, i) => ({ id: i, vec: Array<number>(8).fill(i / 20) })) });
      await c.createIndex({ collection_name: 'products', field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' });
      await c.releaseCollection({ collection_name: 'products' }); // Milvus Lite loads on index creation
      await c.closeConnection();
    }
    await installCrds(kube, [NS]);

    // new: applied while no operator runs, so the apiserver holds it without a status.
    await apply(kube, policy(NS, 'fresh', sim.uri, '  selector: { names: [fresh] }'));
    await keep('new (not observed yet)', 'fresh', await getPolicy(kube, NS, 'fresh'));

    const manifests = [
      policy(NS, 'ready', sim.uri, '  selector: { names: [hot] }'),
      policy(NS, 'loading', sim.uri, '  selector: { names: [warming] }'),
      policy(NS, 'suspended', sim.uri, '  selector: { names: [held] }\n  suspend: true'),
      policy(NS, 'unmanaged', sim.uri, '  selector: { names: [idle] }').replace(`namespace: ${NS} }`, `namespace: ${NS}, annotations: { milvusload.io/managed: "false" } }`),
      policy(NS, 'no-index', sim.uri, '  selector: { names: [noindex] }'),
      policy(NS, 'no-secret', sim.uri, '  selector: { names: [hot] }', ', credentialsSecret: { name: not-created }'),
      policy(NS, 'winner', sim.uri, '  selector: { names: [shared] }\n  priority: 10'),
      policy(NS, 'loser', sim.uri, '  selector: { names: [shared] }\n  state: Released'),
      policy(NS, 'missing', sim.uri, '  selector: { names: [ghost] }'),
      policy(NS, 'deferred', simBudget.uri, '  selector: { names: [big] }\n  load: { memoryEstimate: 10Gi }'),
      policy(NS, 'down', simDown.uri, '  selector: { names: [orders] }'),
      ...(lite ? [policy(NS, 'lite', lite.uri, '  selector: { names: [products] }')] : []),
      `apiVersion: milvusload.io/v1alpha1
kind: CollectionLoadBudget
metadata: { name: small }
spec: { milvusUri: "${simBudget.uri}", memoryLimit: 1Gi }
`,
    ];
    await apply(kube, manifests.join(''));
    op = await startOperator(kube, { resync: '2s' });

    const is = (p: PolicyView, type: string, want: string): boolean => cond(p, type) === want;
    await reach('Ready (simulator)', 'ready', (p) => is(p, 'Ready', 'True/Loaded'));
    await reach('Loading', 'loading', (p) => is(p, 'Reconciling', 'True/Loading'));
    await reach('Suspended (spec.suspend)', 'suspended', (p) => is(p, 'Suspended', 'True/Suspended'));
    await reach('Suspended (managed: "false")', 'unmanaged', (p) => is(p, 'Suspended', 'True/Unmanaged'));
    await reach('terminal error (IndexNotFound)', 'no-index', (p) => is(p, 'Stalled', 'True/IndexNotFound'));
    await reach('Secret missing', 'no-secret', (p) => is(p, 'Stalled', 'True/SecretNotFound'));
    await reach('Conflict (lower priority)', 'loser', (p) => is(p, 'Ready', 'False/Conflict'));
    await reach('CollectionNotFound', 'missing', (p) => is(p, 'Ready', 'False/CollectionNotFound'));
    await reach('Deferred by a budget', 'deferred', (p) => is(p, 'Ready', 'False/OverBudget'));
    if (lite) await reach('Ready (Milvus Lite)', 'lite', (p) => is(p, 'Ready', 'True/Loaded'));

    await untilPolicy(kube, { ns: NS, name: 'down', op }, 'Ready before Milvus goes', (p) => current(p) && is(p, 'Ready', 'True/Loaded'), 90_000);
    await simDown.faults.unavailable(true);
    await reach('Milvus down', 'down', (p) => is(p, 'Degraded', 'True/MilvusUnavailable'));

    // A spec change the operator has not seen: stop it first, so it cannot race the read.
    await op.proc.stop();
    op = undefined;
    const patch = await kube.kubectl(['patch', 'clp', 'ready', '-n', NS, '--type=merge', '-p', '{"spec":{"priority":5}}']);
    assert.equal(patch.code, 0, patch.stderr);
    await keep('spec changed, not yet observed', 'ready', await getPolicy(kube, NS, 'ready'));
  });

  after(async () => {
    await op?.proc.stop();
    await Promise.all([sim?.stop(), simBudget?.stop(), simDown?.stop(), lite?.dispose(), kube?.stop()]);
  });

  it('every state was produced as its row describes', () => {
    const fresh = seen.get('new (not observed yet)')!.view;
    assert.deepEqual(fresh.raw.status, { observedGeneration: 0 }, 'a policy nobody reconciled has only the CRD default: not yet observed');
    const stale = seen.get('spec changed, not yet observed')!.view;
    assert.ok(stale.observedGeneration! < stale.generation, `observedGeneration ${stale.observedGeneration} < generation ${stale.generation}`);
    const figures = [...seen].map(([state, { view }]) => `${state}: Ready ${cond(view, 'Ready')}, Reconciling ${cond(view, 'Reconciling')}, Stalled ${cond(view, 'Stalled')}, Degraded ${cond(view, 'Degraded')}`);
    process.stderr.write(`health-checks: conditions per state\n  ${figures.join('\n  ')}\n`);
    for (const row of ROWS) assert.ok(seen.has(row.state), `state "${row.state}" was not produced`);
  });

  it('kubectl wait --for=condition=Ready per state', () => {
    const got = ROWS.map((row) => `${row.state}: ${seen.get(row.state)?.kubectlWait}`);
    process.stderr.write(`health-checks: kubectl wait\n  ${got.join('\n  ')}\n`);
    for (const row of ROWS) assert.equal(seen.get(row.state)?.kubectlWait, row.kubectlWait, `${row.state}: kubectl wait`);
  });

  it('Argo CD health (deploy/argocd/health.lua under lua5.1) per state', async (t) => {
    const missing = await luaMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const got: string[] = [];
    for (const row of ROWS) {
      const h = await argoHealth(seen.get(row.state)!.object);
      got.push(`${row.state}: ${h.status} (${h.message})`);
      assert.equal(h.status, row.argo, `${row.state}: Argo CD health ${h.status} (${h.message}), want ${row.argo}`);
      assert.ok(h.message.length > 0 && !/nil|undefined/.test(h.message), `${row.state}: a message a person can read: "${h.message}"`);
    }
    process.stderr.write(`health-checks: Argo CD\n  ${got.join('\n  ')}\n`);
  });

  it('Argo CD health of the happy path on Milvus Lite is Healthy', async (t) => {
    const missing = lite ? await luaMissing() : `Milvus Lite cannot run here: ${liteUnavailable}`;
    if (missing) {
      t.skip(missing);
      return;
    }
    const { object, kubectlWait } = seen.get('Ready (Milvus Lite)')!;
    assert.equal((await argoHealth(object)).status, 'Healthy');
    assert.equal((await kstatus(object)).status, 'Current');
    assert.equal(kubectlWait, 'met');
  });

  it('kstatus (sigs.k8s.io/cli-utils status.Compute) per state', async () => {
    const got: string[] = [];
    for (const row of ROWS) {
      const k = await kstatus(seen.get(row.state)!.object);
      got.push(`${row.state}: ${k.status} (${k.message})`);
      assert.equal(k.status, row.kstatus, `${row.state}: kstatus ${k.status} (${k.message}), want ${row.kstatus}`);
    }
    process.stderr.write(`health-checks: kstatus\n  ${got.join('\n  ')}\n`);
  });
});
