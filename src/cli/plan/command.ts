// `milvus-load-operator plan`: gather the policies, plan them with the
// operator's own pass, print the view. Sends Milvus read-only calls only and
// never writes to Kubernetes.
import { readFileSync } from 'node:fs';
import type { PortFactory } from '../../controller/connections.ts';
import { KubeHttp } from '../../kube/http.ts';
import type { LoadedAuth } from '../../kube/kubeconfig.ts';
import { createSdkPort } from '../../milvus/sdk-adapter.ts';
import { UsageError } from '../flags.ts';
import { readStdin, type SourceRead } from '../manifests.ts';
import { readSources } from '../validate.ts';
import { parsePlanFlags, type PlanFlags } from './flags.ts';
import { findCluster, ManifestError, readCluster, readManifests, type PolicySet } from './inputs.ts';
import { planInstances } from './instances.ts';
import { buildReport, type PlanReport } from './report.ts';
import { renderText } from './render.ts';
import { clusterResolver, offlineResolver, type Resolver } from './resolvers.ts';
import { scopeTo, viewOf } from './view.ts';

export interface PlanDeps {
  readonly portFactory: PortFactory;
  readonly now: () => number;
  /** Standard input for `-f -`, read with a size cap. */
  readonly stdin: () => SourceRead;
  readonly env: NodeJS.ProcessEnv;
  /** Whether standard output is a terminal (colour). */
  readonly isTTY: boolean;
}

const defaultDeps = (): PlanDeps => ({
  portFactory: createSdkPort,
  now: () => Date.now(),
  stdin: readStdin,
  env: process.env,
  isTTY: process.stdout.isTTY,
});

interface Gathered {
  readonly inputs: PolicySet;
  readonly resolve: Resolver;
  readonly source: PlanReport['source'];
  readonly scope?: { namespace: string; narrowed: boolean };
}

function fromFiles(flags: PlanFlags, deps: PlanDeps, cluster: LoadedAuth | undefined): Gathered {
  const caPem = flags.caFile === undefined ? undefined : readCa(flags.caFile);
  const sources = readSources(flags.inputs, deps.stdin);
  const inputs = readManifests(sources, flags.namespace ?? cluster?.namespace ?? 'default');
  const needsSecrets = inputs.policies.some((p) => p.spec.milvus.credentialsSecret || p.spec.milvus.tls?.caSecret);
  // Secrets from the cluster when there is one, unless --token / --ca-file say otherwise.
  const explicit = flags.tokenFlag !== undefined || caPem !== undefined;
  const resolve = cluster && needsSecrets && !explicit ? clusterResolver(new KubeHttp(cluster.auth)) : offlineResolver(flags.tokenFlag ?? flags.token, caPem);
  return { inputs, resolve, source: 'files' };
}

async function gather(flags: PlanFlags, deps: PlanDeps): Promise<Gathered> {
  const cluster = await findCluster(flags.kubeconfig, deps.env);
  if (flags.inputs.length > 0) return fromFiles(flags, deps, cluster);
  if (!cluster) throw new UsageError('no -f and no kubeconfig: give manifests with -f FILE|DIR|-, or a cluster with --kubeconfig / KUBECONFIG');
  const http = new KubeHttp(cluster.auth);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? cluster.namespace ?? 'default');
  const { narrowed, ...inputs } = await readCluster(http, cluster.auth.getCurrentCluster()?.server ?? '', namespace);
  return { inputs, resolve: clusterResolver(http), source: 'cluster', ...(namespace === undefined ? {} : { scope: { namespace, narrowed } }) };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new UsageError(`--ca-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function planCommand(argv: readonly string[], overrides: Partial<PlanDeps> = {}): Promise<{ code: number; out: string }> {
  const deps = { ...defaultDeps(), ...overrides };
  const flags = parsePlanFlags(argv, deps.env, deps.isTTY);
  const now = flags.at ?? deps.now();
  let gathered;
  try {
    gathered = await gather(flags, deps);
  } catch (e: unknown) {
    if (e instanceof ManifestError) return { code: 1, out: e.message };
    throw e;
  }
  const plans = await planInstances(gathered.inputs, gathered.resolve, deps.portFactory, now);
  const views = plans.map(viewOf);
  const report = buildReport(gathered.scope ? scopeTo(views, gathered.scope.namespace) : views, now, gathered.source, gathered.scope);
  const out = flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, { color: flags.color, verbose: flags.verbose });
  if (!report.complete) return { code: 1, out };
  return { code: flags.detailedExitcode && report.changesPending ? 3 : 0, out };
}
