// The kube-apiserver's own request counters (apiserver_request_total), read
// from /metrics with the admin client certificate, so the benchmark counts
// what the operator wrote from the outside, whatever the operator reports.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { KubeEnv } from '../test/env/kube.ts';

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION']);

/** Request counts by `VERB resource[/subresource]`, all verbs. */
export type RequestCounts = Record<string, number>;

function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

export function parseRequestTotals(metrics: string): RequestCounts {
  const out: RequestCounts = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const l = labels(line.slice('apiserver_request_total{'.length, close));
    const value = Number(line.slice(close + 1).trim());
    if (!l.verb || !Number.isFinite(value)) continue;
    const key = `${l.verb} ${l.resource ?? ''}${l.subresource ? `/${l.subresource}` : ''}`;
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

export async function fetchRequestTotals(kube: KubeEnv): Promise<RequestCounts> {
  const [ca, cert, key] = await Promise.all([readFile(kube.caCertPath), readFile(kube.adminCertPath), readFile(kube.adminKeyPath)]);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(`${kube.server}/metrics`, { ca, cert, key, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('GET /metrics on the kube-apiserver timed out')));
    req.end();
  });
  return parseRequestTotals(text);
}

/** Write requests (POST/PUT/PATCH/DELETE/APPLY) made between two snapshots, by `VERB resource[/subresource]`; zero rows dropped. */
export function writesBetween(before: RequestCounts, after: RequestCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const verb = k.split(' ')[0] ?? '';
    if (!WRITE_VERBS.has(verb)) continue;
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

export const sumValues = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
