// plan's command line: its help, its flags, and the settings they make.
import { commonFlags, envValue, outputFlag, parseCommandLine, UsageError, type FlagSpecs, type FlagValues, type Output } from '../flags.ts';

export const PLAN_HELP = `Usage: milvus-load-operator plan [-f FILE|DIR|- ...] [flags]

Shows what the operator would do now, and why, without changing anything:
no load or release is sent to Milvus (read-only calls only) and nothing is
written to Kubernetes.

Where the policies come from:
  -f, --filename F     manifests: a file, a directory (*.yaml, *.yml, *.json) or - for
                       standard input (repeatable); checked as \`validate\` does
  (no -f)              the cluster's CollectionLoadPolicies and -Budgets
  --kubeconfig PATH    kubeconfig [KUBECONFIG, else ~/.kube/config, else in-cluster]
  -n, --namespace NS   show the policies of this namespace (default: the context's,
                       else "default"); they are planned together with every other
                       namespace's, as conflicts and budgets span namespaces.
                       With -f: the namespace of policies that name none
  -A, --all-namespaces policies of every namespace (no -f only)

Milvus is read live at each policy's spec.milvus.uri. The Secrets a policy
names (spec.milvus.credentialsSecret, tls.caSecret) are read from the cluster
(get only) when a kubeconfig is available, unless one of these is given:
  --token TOKEN        Milvus token ("user:password" or an API key) for every
                       policy that names a credentials Secret; without a
                       kubeconfig, MLO_MILVUS_TOKEN is used when set
  --ca-file PATH       PEM CA bundle for every policy that names tls.caSecret
Without either, and without a cluster, such a policy is shown as "? problem".

Usage (policies with spec.idle): the source a budget names (spec.usage) is
read once. One reading of the proxies' /metrics is only a baseline, so usage
starts now and nothing is released for idleness in the plan; a Prometheus
query looks back one period plus a minute. Unknown usage is shown with its
reason ("usage unknown, UsageUnavailable: ..."); it does not fail the plan.

Output:
  -o, --output F       text (default) or json
  -v, --verbose        also list collections that need nothing ("= nothing")
  --no-color           no colour (colour is used only on a terminal, and never with NO_COLOR set)
  --at TIME            plan as if it were TIME (RFC 3339, e.g. 2026-12-01T08:00:00Z): schedules
  --detailed-exitcode  exit 3 when changes are pending (as terraform's -detailed-exitcode)

Lines:
  + load      the operator would load the collection
  - release   the operator would release it
  ~ refresh   a refresh load (new value of the milvusload.io/refresh annotation)
  ! defer     wanted loaded, but not now: over the budget, or outside the schedule windows
  x conflict  another policy selects it and wins; this policy's wish is ignored
  ? problem   cannot be planned: Milvus or a Secret unreadable, collection missing, load failed
  = nothing   already as wanted (only with -v)

Exit codes: 0 planned (with --detailed-exitcode: planned, no changes pending),
1 failure (invalid manifest, Kubernetes or Milvus unreachable, a Secret
unreadable: the plan is incomplete), 2 usage error, 3 changes pending (only
with --detailed-exitcode).
`;

export interface PlanFlags {
  inputs: string[];
  kubeconfig?: string;
  namespace?: string;
  allNamespaces: boolean;
  output: Output;
  verbose: boolean;
  color: boolean;
  detailedExitcode: boolean;
  /** From MLO_MILVUS_TOKEN: used when there is no cluster to read Secrets from. */
  token?: string;
  /** From --token: used instead of the cluster's Secrets. */
  tokenFlag?: string;
  caFile?: string;
  at?: number;
}

export const PLAN_OPTIONS = {
  ...commonFlags('help', 'filename', 'kubeconfig', 'output'),
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  verbose: { type: 'boolean', short: 'v' },
  'no-color': { type: 'boolean' },
  'detailed-exitcode': { type: 'boolean' },
  token: { type: 'string' },
  'ca-file': { type: 'string' },
  at: { type: 'string' },
} as const satisfies FlagSpecs;

function atFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) throw new UsageError(`--at ${v}: give an RFC 3339 time such as 2026-12-01T08:00:00Z`);
  return t;
}

type PlanValues = FlagValues<typeof PLAN_OPTIONS>;

/** Colour only on a terminal that can show it, and never against the NO_COLOR convention. */
function wantsColor(v: PlanValues, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  return !v['no-color'] && isTTY && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

/** How the plan is shown, and what its exit code says. */
function displayFlags(v: PlanValues, env: NodeJS.ProcessEnv, isTTY: boolean): Pick<PlanFlags, 'output' | 'verbose' | 'color' | 'detailedExitcode' | 'at'> {
  const at = atFlag(v.at);
  return {
    output: outputFlag(v.output),
    verbose: v.verbose ?? false,
    color: wantsColor(v, env, isTTY),
    detailedExitcode: v['detailed-exitcode'] ?? false,
    ...(at !== undefined ? { at } : {}),
  };
}

/** Where the policies come from: manifests, or the cluster and which of its namespaces. */
function sourceFlags(v: PlanValues): Pick<PlanFlags, 'inputs' | 'kubeconfig' | 'namespace' | 'allNamespaces'> {
  const inputs = v.filename ?? [];
  const allNamespaces = v['all-namespaces'] ?? false;
  if (allNamespaces && inputs.length > 0) throw new UsageError('-A/--all-namespaces reads policies from the cluster; it cannot be combined with -f');
  if (allNamespaces && v.namespace) throw new UsageError('give either -n NAMESPACE or -A, not both');
  return {
    inputs,
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    allNamespaces,
  };
}

/** What stands in for the Secrets a policy names, when given. */
function credentialFlags(v: PlanValues, env: NodeJS.ProcessEnv): Pick<PlanFlags, 'token' | 'tokenFlag' | 'caFile'> {
  const token = envValue(env, 'MLO_MILVUS_TOKEN');
  return {
    ...(token ? { token } : {}),
    ...(v.token !== undefined ? { tokenFlag: v.token } : {}),
    ...(v['ca-file'] !== undefined ? { caFile: v['ca-file'] } : {}),
  };
}

export function parsePlanFlags(argv: readonly string[], env: NodeJS.ProcessEnv, isTTY: boolean): PlanFlags {
  const v = parseCommandLine('plan', argv, PLAN_OPTIONS);
  // Display first: a bad --at or -o is reported before a -A/-f clash, as it always was.
  const display = displayFlags(v, env, isTTY);
  return { ...sourceFlags(v), ...display, ...credentialFlags(v, env) };
}
