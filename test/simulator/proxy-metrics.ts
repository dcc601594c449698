// The simulator's proxy metrics: milvus_proxy_req_count as recent Milvus
// serves it on each proxy's /metrics (labels node_id, function_name, status,
// db_name, collection_name), counting Search, HybridSearch and Query calls
// that reach a handler, failed ones too (status="fail", e.g. a search on a
// released collection). Calls are spread round-robin over `proxies` proxies,
// each with its own endpoint and counters; restartProxy() zeroes one, as a
// proxy restart does.
import { createServer, type Server } from 'node:http';

export const COUNTED_METHODS: ReadonlySet<string> = new Set(['Search', 'HybridSearch', 'Query']);

type Outcome = 'success' | 'fail';
/** database -> collection -> function -> outcome -> count */
type Counts = Map<string, Map<string, Map<string, Record<Outcome, number>>>>;

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ProxyMetrics {
  private counts: Counts[] = [new Map() as Counts];
  private next = 0;
  private servers: Server[] = [];

  /** How many proxies share the calls; changes take effect at once (new proxies start at zero). */
  setProxies(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`simulator: proxies must be a whole number >= 1, got ${n}`);
    while (this.counts.length < n) this.counts.push(new Map() as Counts);
    this.counts.length = n;
  }

  record(method: string, database: string, collection: string, outcome: Outcome): void {
    if (!COUNTED_METHODS.has(method) || collection === '') return;
    const proxy = this.counts[this.next++ % this.counts.length] as Counts;
    let byColl = proxy.get(database);
    if (!byColl) proxy.set(database, (byColl = new Map<string, Map<string, Record<Outcome, number>>>()));
    let byFn = byColl.get(collection);
    if (!byFn) byColl.set(collection, (byFn = new Map<string, Record<Outcome, number>>()));
    let c = byFn.get(method);
    if (!c) byFn.set(method, (c = { success: 0, fail: 0 }));
    c[outcome]++;
  }

  /** Proxy `i` restarts: its counters start again from nothing. */
  restartProxy(i: number): void {
    if (this.counts[i] === undefined) throw new Error(`simulator: no proxy ${i} (there are ${this.counts.length})`);
    this.counts[i] = new Map() as Counts;
  }

  /** The text proxy `i` serves at /metrics. */
  exposition(i: number): string {
    const nodeId = String(i + 1);
    const lines = ['# HELP milvus_proxy_req_count count of operation executed', '# TYPE milvus_proxy_req_count counter'];
    for (const [db, byColl] of this.counts[i] ?? new Map<string, never>()) {
      for (const [coll, byFn] of byColl) {
        for (const [fn, c] of byFn) {
          const labels = (status: string): string => `collection_name="${labelValue(coll)}",db_name="${labelValue(db)}",function_name="${fn}",node_id="${nodeId}",status="${status}"`;
          lines.push(`milvus_proxy_req_count{${labels('fail')}} ${c.fail}`, `milvus_proxy_req_count{${labels('success')}} ${c.success}`, `milvus_proxy_req_count{${labels('total')}} ${c.success + c.fail}`);
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** Serves each proxy's /metrics on its own 127.0.0.1 port; returns the URLs, in proxy order. */
  async listen(): Promise<string[]> {
    await this.close();
    const urls: string[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.exposition(i));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      urls.push(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`);
      this.servers.push(server);
    }
    return urls;
  }

  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
