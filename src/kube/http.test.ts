// KubeHttp's own logic (status to KubeApiError, transport failures, watch
// streams and their end) against a local HTTP server that answers as the
// apiserver does. The real apiserver is exercised by the integration tests.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isKubeError, KubeApiError, KubeHttp } from './http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let handler: Handler = (_req, res) => res.end();
let server: Server;
let base = '';
const held: ServerResponse[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(server = base): KubeHttp {
  return new KubeHttp({
    getCurrentCluster: () => ({ server }),
    applyToHTTPSOptions: async (opts) => {
      await Promise.resolve();
      opts.headers = { ...(opts.headers as Record<string, string>), Authorization: 'Bearer t0ken' };
    },
  });
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('KubeHttp.call', () => {
  it('sends the body with its content type and the credentials, and parses the reply', async () => {
    let seen: { method?: string; url?: string; type?: string; auth?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'], auth: req.headers.authorization, body };
      json(res, 200, { ok: true });
    };
    const r = await client().call<{ ok: boolean }>('PATCH', '/apis/x/status', { status: { a: 1 } }, 'application/merge-patch+json');
    assert.deepEqual(r, { status: 200, body: { ok: true } });
    assert.deepEqual(seen, { method: 'PATCH', url: '/apis/x/status', type: 'application/merge-patch+json', auth: 'Bearer t0ken', body: '{"status":{"a":1}}' });
  });

  it('an empty reply is an empty object', async () => {
    handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    assert.deepEqual((await client().call('DELETE', '/x')).body, {});
  });

  it('a failure status becomes a KubeApiError with the Status reason, message and kind', async () => {
    handler = (_req, res) => json(res, 409, { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' });
    await assert.rejects(client().call('PATCH', '/x', {}), (e: unknown) => e instanceof KubeApiError && e.status === 409 && e.kind === 'Conflict' && e.reason === 'Conflict' && e.message === 'the object has been modified');
    handler = (_req, res) => json(res, 500, {});
    await assert.rejects(client().call('GET', '/y'), (e: unknown) => isKubeError(e, 'Unavailable') && e.reason === 'Unknown' && e.message === 'GET /y: HTTP 500');
  });

  it('a transport failure is a KubeApiError too (status 0, Unavailable)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(client(`http://127.0.0.1:${port}`).call('GET', '/x'), (e: unknown) => isKubeError(e, 'Unavailable') && e.reason === 'Unreachable' && /cannot reach the Kubernetes API \(GET \/x\)/.test(e.message));
  });

  it('a request with no answer times out as Unavailable', async () => {
    handler = (_req, res) => held.push(res);
    await assert.rejects(client().call('GET', '/slow', undefined, undefined, 100), (e: unknown) => isKubeError(e, 'Unavailable') && e.reason === 'Timeout');
  });

  it('needs a current cluster', () => {
    assert.throws(() => new KubeHttp({ getCurrentCluster: () => null, applyToHTTPSOptions: () => Promise.resolve() }), /no current cluster/);
  });
});

describe('KubeHttp.watch', () => {
  it('delivers one event per line and resolves when the server ends the stream', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n\n');
      res.end('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n');
    };
    const events: string[] = [];
    const h = await client().watch('/w?watch=1', (ev) => events.push(ev.type));
    await h.done;
    assert.deepEqual(events, ['ADDED', 'BOOKMARK']);
  });

  it('abort() ends a stream the server keeps open (the stall watchdog relies on it)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
      held.push(res);
    };
    const events: string[] = [];
    const h = await client().watch('/w', (ev) => events.push(ev.type));
    await new Promise<void>((resolve) => {
      const check = (): void => (events.length > 0 ? resolve() : void setImmediate(check));
      check();
    });
    h.abort();
    await h.done;
    assert.deepEqual(events, ['ADDED']);
  });

  it('a refused watch throws its status as a KubeApiError (410 Gone: relist)', async () => {
    handler = (_req, res) => json(res, 410, { kind: 'Status', reason: 'Expired', message: 'too old resource version: 1 (5)' });
    await assert.rejects(client().watch('/w', () => undefined), (e: unknown) => isKubeError(e, 'Gone') && e.reason === 'Expired');
    handler = (_req, res) => {
      res.writeHead(403);
      res.end();
    };
    await assert.rejects(client().watch('/w', () => undefined), (e: unknown) => isKubeError(e, 'Forbidden') && /watch \/w: HTTP 403/.test(e.message));
  });
});
