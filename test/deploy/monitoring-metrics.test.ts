// deploy/monitoring/: the Prometheus alerts and the Grafana dashboard query
// the operator by metric and label names. Checked against what the operator
// really serves at /metrics (its metrics server and metric definitions,
// in-process), so a renamed metric or label fails here, not in a user's
// empty panel or silent alert.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { createOperatorMetrics, type OperatorMetrics } from '../../src/metrics/operator-metrics.ts';
import { serveEndpoints, type Endpoints } from '../../src/metrics/server.ts';
import { locateKubeAssets } from '../env/kube.ts';
import { parseExposition, type Exposition } from '../env/prom.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Labels Prometheus and the ServiceMonitor put on every scraped series.
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container']);
const METRIC = /\b(?:milvus_load_operator|process|nodejs)_[a-z_]+\b/g;
const OURS = /^(?:milvus_load_operator|process|nodejs)_/;

type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown };
interface Rule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

async function kustomize(dir: string): Promise<Obj[]> {
  const { kubectl } = await locateKubeAssets();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(kubectl, ['kustomize', join(root, dir)], { maxBuffer: 64 << 20, timeout: 120_000 }, (err, out, stderr) => (err ? reject(new Error(`kubectl kustomize ${dir}: ${stderr}`)) : resolve(out)));
  });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `no ${kind} ${name} in deploy/monitoring`);
  return o;
}

/** Every PromQL string in the dashboard: panel targets and template variables. */
function dashboardQueries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) dashboardQueries(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && ['expr', 'query', 'definition'].includes(k)) out.push(v);
      else dashboardQueries(v, out);
    }
  }
  return out;
}

/** What the operator does in a pass, so every labelled series the queries use exists. */
function exercise(m: OperatorMetrics): void {
  const milvus = 'milvus.search.svc:19530';
  m.leader.set(1);
  m.readQueueDepth(() => 2);
  for (const result of ['ok', 'unreachable', 'error']) m.reconcileTotal.inc({ milvus, result });
  m.reconcileErrors.inc({ milvus, reason: 'MilvusUnavailable' });
  m.reconcileDuration.observe({ milvus }, 0.12);
  m.queueRetries.inc();
  m.milvusRequests.inc({ method: 'load', outcome: 'ok' });
  m.milvusRequestDuration.observe({ method: 'load' }, 0.01);
  m.milvusActions.inc({ action: 'load', reason: 'Declared' });
  m.statusWrites.inc(3);
  m.collections.set({ milvus, state: 'Loaded' }, 4);
  for (const ready of ['true', 'false']) m.policies.set({ milvus, ready }, 1);
  m.budgetUsed.set({ budget: 'prod' }, 1 << 30);
  m.budgetLimit.set({ budget: 'prod' }, 2 << 30);
  m.watchRestarts.inc({ resource: 'collectionloadpolicies' });
}

/** The labels of a query's selectors (`name{label=...}`) and of its `by`/`on`/`without`/`ignoring` lists. */
function labelUses(expr: string): { selectors: { metric: string; labels: string[] }[]; grouping: string[] } {
  const selectors = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((s) => ({
    metric: s[1]!,
    labels: [...s[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
  const grouping = [...expr.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g)].flatMap((g) => g[1]!.split(',').map((l) => l.trim()).filter(Boolean));
  return { selectors, grouping };
}

describe('deploy/monitoring against the operator’s /metrics', () => {
  let objs: Obj[];
  let endpoints: Endpoints;
  let scraped: Exposition;
  let queries: { where: string; expr: string }[];

  before(async () => {
    objs = await kustomize('deploy/monitoring');
    const rule = find(objs, 'PrometheusRule', 'milvus-load-operator') as unknown as { spec: { groups: { rules: Rule[] }[] } };
    const dashboard = find(objs, 'ConfigMap', 'milvus-load-operator-dashboard') as unknown as { data: Record<string, string> };
    const dash = JSON.parse(dashboard.data['milvus-load-operator.json']!) as unknown;
    queries = [...rule.spec.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))), ...dashboardQueries(dash).map((expr) => ({ where: 'dashboard', expr }))];
    const metrics = createOperatorMetrics('0.0.0-test');
    exercise(metrics);
    endpoints = await serveEndpoints({ healthAddress: '0', metricsAddress: '127.0.0.1:0', registry: metrics.registry, readiness: () => ({ ready: true, reason: '' }) });
    const res = await fetch(`http://${endpoints.metrics}/metrics`);
    assert.equal(res.status, 200);
    scraped = parseExposition(await res.text());
  });

  after(async () => {
    await endpoints?.close();
  });

  it('builds with kustomize: the rules, the dashboard for Grafana’s sidecar, and alerts with runbooks that exist', async () => {
    assert.deepEqual(objs.map((o) => o.kind).sort(), ['ConfigMap', 'PrometheusRule', 'ServiceMonitor']);
    assert.equal(find(objs, 'ConfigMap', 'milvus-load-operator-dashboard').metadata.labels?.grafana_dashboard, '1');
    const rule = find(objs, 'PrometheusRule', 'milvus-load-operator') as unknown as { spec: { groups: { rules: Rule[] }[] } };
    const ops = await readFile(join(root, 'docs/operations.md'), 'utf8');
    const anchors = new Set([...ops.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const r of rule.spec.groups.flatMap((g) => g.rules)) {
      for (const k of ['summary', 'description', 'runbook_url']) assert.ok(r.annotations[k], `alert ${r.alert} has no ${k}`);
      assert.ok(['critical', 'warning'].includes(r.labels.severity!), `alert ${r.alert}: severity`);
      const [file, anchor] = r.annotations.runbook_url!.split('#');
      assert.equal(file, 'docs/operations.md');
      assert.ok(anchors.has(anchor!), `alert ${r.alert}: runbook_url #${anchor} has no heading in docs/operations.md`);
    }
  });

  it('every metric the alerts and the dashboard query has series in /metrics', () => {
    const used = new Set(queries.flatMap((q) => [...q.expr.matchAll(METRIC)].map((m) => m[0])));
    assert.ok(used.size >= 15, `found only ${used.size} metric names in deploy/monitoring; is the query extraction broken?`);
    for (const q of queries) {
      for (const [name] of q.expr.matchAll(METRIC)) assert.ok(scraped.has(name), `${q.where} queries ${name}, which /metrics does not serve (in: ${q.expr})`);
    }
  });

  it('every label they select or group by is on those series, or is one Prometheus adds to the target', () => {
    const labelsOf = (metric: string): Set<string> => new Set(scraped.samples.filter((s) => s.name === metric).flatMap((s) => Object.keys(s.labels)));
    for (const q of queries) {
      const { selectors, grouping } = labelUses(q.expr);
      for (const s of selectors.filter((x) => OURS.test(x.metric))) {
        const have = labelsOf(s.metric);
        for (const l of s.labels) assert.ok(have.has(l) || TARGET_LABELS.has(l), `${q.where}: ${s.metric} has no label ${l} (in: ${q.expr})`);
      }
      const names = [...q.expr.matchAll(METRIC)].map((m) => m[0]);
      const have = new Set(names.flatMap((n) => [...labelsOf(n)]));
      for (const l of grouping) assert.ok(have.has(l) || TARGET_LABELS.has(l), `${q.where}: groups by ${l}, which none of ${names.join(', ')} has (in: ${q.expr})`);
    }
  });
});
