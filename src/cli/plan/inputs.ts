// Where plan's policies and budgets come from: manifests (checked as
// `validate` does) or the cluster (lists only, with the user's own kubeconfig).
import type { CollectionLoadBudget } from '../../api/budget.ts';
import { API_VERSION, BUDGET_KIND, GROUP, POLICY_KIND } from '../../api/constants.ts';
import type { CollectionLoadPolicy } from '../../api/policy.ts';
import { validateBudget, validatePolicy } from '../../api/resources.ts';
import { isKubeError, type KubeHttp } from '../../kube/http.ts';
import { KubeconfigMissingError, loadKubeAuth, NoKubeconfigError, type LoadedAuth } from '../../kube/kubeconfig.ts';
import { budgetsPath, policiesPath } from '../../kube/resources.ts';
import { UsageError } from '../flags.ts';
import { parseManifest } from '../manifests.ts';
import { formatText as formatFindings, validateSources, type Source } from '../validate.ts';

/** The policies and budgets plan works from. */
export interface PolicySet {
  readonly policies: CollectionLoadPolicy[];
  readonly budgets: CollectionLoadBudget[];
}

/** Invalid manifests: plan prints validate's report and exits 1. */
export class ManifestError extends Error {}

/** Policies and budgets from manifests; invalid manifests fail with validate's report. */
export function readManifests(sources: readonly Source[], defaultNamespace: string): PolicySet {
  const report = validateSources(sources, false);
  if (report.findings.length > 0) throw new ManifestError(`${formatFindings(report)}plan: fix the manifests above first (milvus-load-operator validate -f ... checks them)\n`);
  const out: PolicySet = { policies: [], budgets: [] };
  for (const source of sources) {
    const parsed = 'text' in source ? parseManifest(source.text) : undefined;
    for (const doc of parsed?.ok ? parsed.documents : []) addDocument(out, doc.value, defaultNamespace);
  }
  return out;
}

/** Adds one manifest document if it is a policy or budget of ours; anything else (a Deployment, a Secret) is skipped. */
function addDocument(out: PolicySet, v: unknown, defaultNamespace: string): void {
  const kind = ourKind(v);
  if (kind === POLICY_KIND) {
    const r = validatePolicy(v);
    if (r.ok) out.policies.push({ ...r.object, metadata: { ...r.object.metadata, namespace: r.object.metadata.namespace ?? defaultNamespace } });
  } else if (kind === BUDGET_KIND) {
    const r = validateBudget(v);
    if (r.ok) out.budgets.push(r.object);
  }
}

/** The kind of a document in the milvusload.io group, else undefined. */
function ourKind(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  const d = v as { apiVersion?: unknown; kind?: unknown };
  return typeof d.apiVersion === 'string' && d.apiVersion.startsWith(`${GROUP}/`) ? d.kind : undefined;
}

/**
 * The cluster kubectl would use, read by the operator's own loader, or
 * undefined when there is none (plan then works offline from -f).
 */
export async function findCluster(path: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadedAuth | undefined> {
  try {
    return await loadKubeAuth(path, env);
  } catch (e: unknown) {
    if (e instanceof NoKubeconfigError) return undefined;
    if (e instanceof KubeconfigMissingError && path !== undefined) throw new UsageError(`--kubeconfig ${path}: no such file`);
    throw new Error(`cannot read the kubeconfig${path ? ` ${path}` : ''}: ${(e as Error).message}`, { cause: e });
  }
}

function kubeFailure(e: unknown, what: string, server: string): Error {
  if (isKubeError(e, 'NotFound')) return new Error(`${what}: the milvusload.io CRDs are not installed in the cluster at ${server} (kubectl apply -f crds/)`);
  if ((isKubeError(e, 'Unauthorized') || isKubeError(e, 'Forbidden'))) return new Error(`${what}: the Kubernetes API at ${server} refused (${e.status} ${e.reason}): ${e.message}; use a kubeconfig allowed to list ${what}`);
  return new Error(`${what}: cannot reach the Kubernetes API at ${server}: ${(e as Error).message}; check --kubeconfig and that the cluster is up`);
}

/**
 * Policies and budgets from the cluster: lists, nothing else. Every
 * namespace's policies are read even for -n, because conflicts and budgets
 * span namespaces; only when listing them all is forbidden does plan fall
 * back to the one namespace (and says so).
 */
export async function readCluster(http: KubeHttp, server: string, namespace: string | undefined): Promise<PolicySet & { narrowed: boolean }> {
  const list = async <T>(path: string, what: string, kind: string): Promise<T[]> => {
    try {
      const { body } = await http.call<{ items?: Record<string, unknown>[] }>('GET', path);
      // List items of custom resources carry apiVersion and kind; set them anyway, validation needs them.
      return (body.items ?? []).map((o) => ({ apiVersion: API_VERSION, kind, ...o }) as T);
    } catch (e: unknown) {
      throw kubeFailure(e, what, server);
    }
  };
  let policies: CollectionLoadPolicy[];
  let narrowed = false;
  try {
    policies = await list<CollectionLoadPolicy>(policiesPath(), 'collectionloadpolicies', POLICY_KIND);
  } catch (e: unknown) {
    if (namespace === undefined || !/refused \(403/.test((e as Error).message)) throw e;
    policies = await list<CollectionLoadPolicy>(policiesPath(namespace), 'collectionloadpolicies', POLICY_KIND);
    narrowed = true;
  }
  return { policies, budgets: await list<CollectionLoadBudget>(budgetsPath, 'collectionloadbudgets', BUDGET_KIND), narrowed };
}
