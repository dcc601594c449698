import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { createLogger } from '../log/logger.ts';
import { MilvusError } from '../milvus/errors.ts';
import type { MilvusPort } from '../milvus/port.ts';
import { concealTransportErrors, ConnectionPool, resolveConnection } from './connections.ts';
import { ALLOWED_ENDPOINTS_ANNOTATION, parseEndpointList } from './credential-scope.ts';

type Secret = { data: Record<string, string>; annotations?: Record<string, string> };

/** Secrets by name, as KubePort.getSecret returns them; anything else does not exist. */
const secretsOf = (secrets: Record<string, Secret>) => ({
  getSecret: (_ns: string, name: string) => {
    const s = secrets[name];
    return Promise.resolve(s ? { data: s.data, annotations: s.annotations ?? {} } : undefined);
  },
});

const policy = (uri: string, secret?: string): CollectionLoadPolicy =>
  ({ apiVersion: 'milvusload.io/v1alpha1', kind: 'CollectionLoadPolicy', metadata: { name: 'p', namespace: 'team-a' }, spec: { milvus: { uri, ...(secret ? { credentialsSecret: { name: secret } } : {}) }, selector: { names: ['c'] } } });

describe('resolveConnection and where credentials may go', () => {
  const http = secretsOf({
    bound: { data: { token: 'sk-1' }, annotations: { [ALLOWED_ENDPOINTS_ANNOTATION]: 'milvus.team-a.svc:19530' } },
    unbound: { data: { token: 'sk-2' } },
    'unbound-no-keys': { data: { other: 'x' } },
  });

  it('uses a Secret for an endpoint its annotation lists', async () => {
    const r = await resolveConnection(http, policy('http://milvus.team-a.svc:19530', 'bound'));
    assert.ok(r.ok);
    assert.equal(r.settings.token, 'sk-1');
  });

  it('refuses it for any other endpoint, with no token in the settings or the message', async () => {
    const r = await resolveConnection(http, policy('http://attacker.example.com:19530', 'bound'));
    assert.ok(!r.ok);
    assert.equal(r.reason, 'CredentialsNotAllowed');
    assert.ok(!JSON.stringify(r).includes('sk-1'));
  });

  it('refuses a Secret without the annotation before looking at its keys (no oracle for what it holds)', async () => {
    for (const name of ['unbound', 'unbound-no-keys']) {
      const r = await resolveConnection(http, policy('http://milvus.team-a.svc:19530', name));
      assert.ok(!r.ok);
      assert.equal(r.reason, 'CredentialsNotAllowed', name);
    }
  });

  it('uses any Secret for an endpoint the administrator allows', async () => {
    const r = await resolveConnection(http, policy('http://milvus.team-a.svc:19530', 'unbound'), parseEndpointList('milvus.team-a.svc'));
    assert.ok(r.ok);
    assert.equal(r.settings.token, 'sk-2');
  });

  it('a missing Secret is still SecretNotFound, and a policy without one is unaffected', async () => {
    const r = await resolveConnection(http, policy('http://milvus.team-a.svc:19530', 'missing'));
    assert.ok(!r.ok);
    assert.equal(r.reason, 'SecretNotFound');
    assert.ok((await resolveConnection(http, policy('http://anything.example.com:1'))).ok);
  });
});

describe('concealTransportErrors', () => {
  const failing = (e: Error): MilvusPort => ({ listCollections: () => Promise.reject(e), close: () => Promise.resolve() }) as unknown as MilvusPort;

  it('keeps the reason of a connection failure and moves the socket details to the debug log', async () => {
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l));
    const raw = new MilvusError('listCollections', 'MilvusUnavailable', 'retryable', '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
    const port = concealTransportErrors(failing(raw), '127.0.0.1:1', log);
    await assert.rejects(port.listCollections('default'), (e: unknown) => e instanceof MilvusError && e.reason === 'MilvusUnavailable' && e.kind === 'retryable' && !/ECONNREFUSED|127\.0\.0\.1/.test(e.message));
    assert.match(lines.join('\n'), /ECONNREFUSED 127\.0\.0\.1:1/);
    assert.match(lines.join('\n'), /"level":"debug"/);
  });

  it('passes Milvus answers through unchanged: they help and reveal nothing about the network', async () => {
    const answer = new MilvusError('listCollections', 'DatabaseNotFound', 'notFound', 'database not found[database=x]', 800);
    const port = concealTransportErrors(failing(answer), 'm:1', createLogger('error', {}, () => undefined));
    await assert.rejects(port.listCollections('x'), (e: unknown) => e === answer);
  });

  it('the pool conceals when it has a log, and keeps the allowlist for resolveConnection', () => {
    const made: MilvusPort[] = [];
    const pool = new ConnectionPool((): MilvusPort => {
      const p = failing(new Error('x'));
      made.push(p);
      return p;
    }, { log: createLogger('error', {}, () => undefined), allowedEndpoints: parseEndpointList('m:1') });
    const p = pool.get('m:1', 'k', { address: 'm:1', tls: false, timeoutMs: 1000 });
    assert.notEqual(p, made[0], 'wrapped');
    assert.equal(pool.get('m:1', 'k', { address: 'm:1', tls: false, timeoutMs: 1000 }), p, 'reused');
    assert.deepEqual(pool.allowedEndpoints.rules, [{ endpoint: 'm:1', plainHttp: 'inCluster' }]);
  });
});

describe('resolveConnection: the address to dial', () => {
  it('keeps a port equal to the scheme default, which URL hides', async () => {
    const { policy } = await import('../planner/testkit.ts');
    const none = { getSecret: async () => undefined };
    const at = async (uri: string) => {
      const r = await resolveConnection(none, policy({ name: 'a', spec: { milvus: { uri } } }));
      return r.ok ? r.settings.address : r.reason;
    };
    assert.equal(await at('http://milvus:80'), 'milvus:80');
    assert.equal(await at('https://milvus:443'), 'milvus:443');
    assert.equal(await at('http://milvus'), 'milvus:19530');
    assert.equal(await at('http://[::1]:19531'), '::1:19531');
  });
});
