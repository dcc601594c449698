import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_ENDPOINTS_ANNOTATION, decideCredentialUse, isInClusterHost, NO_ENDPOINTS, parseEndpointList, type EndpointList } from './credential-scope.ts';

const decide = (uri: string, annotation: string | undefined, operator: EndpointList = NO_ENDPOINTS) =>
  decideCredentialUse({ uri, secret: 'team-a/milvus-creds', annotations: annotation === undefined ? {} : { [ALLOWED_ENDPOINTS_ANNOTATION]: annotation }, operatorAllowed: operator });

describe('parseEndpointList', () => {
  it('normalizes entries as instanceKey does, and keeps the plain-http opt-in', () => {
    assert.deepEqual(parseEndpointList(' Milvus.Milvus.svc:19530,https://milvus.example.com:8443\nhttp://10.0.0.7 milvus.other ').rules, [
      { endpoint: 'milvus.milvus:19530', plainHttp: 'inCluster' },
      { endpoint: 'milvus.example.com:8443', plainHttp: 'never' },
      { endpoint: '10.0.0.7:19530', plainHttp: 'always' },
      { endpoint: 'milvus.other:19530', plainHttp: 'inCluster' },
    ]);
  });

  it('sets aside what is not host:port: other schemes, paths, user info, ports out of range', () => {
    const l = parseEndpointList('ok:1,ftp://h:1,h:1/x,user:pw@h:1,h:99999,http://h?q,,');
    assert.deepEqual(l.rules.map((r) => r.endpoint), ['ok:1']);
    assert.deepEqual(l.invalid, ['ftp://h:1', 'h:1/x', 'user:pw@h:1', 'h:99999', 'http://h?q']);
  });
});

describe('isInClusterHost', () => {
  for (const [host, inside] of [
    ['milvus.milvus.svc', true],
    ['milvus.milvus.svc.cluster.local', true],
    ['milvus.milvus.svc.cluster.local.', true],
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['[::1]', true],
    ['.svc', false],
    ['milvus', false],
    ['milvus.milvus', false],
    ['10.0.0.7', false],
    ['svc.example.com', false],
    ['milvus.svc.example.com', false],
    ['milvus.example.com', false],
  ] as const) {
    it(`${host}: ${inside ? 'in the cluster' : 'maybe outside'}`, () => assert.equal(isInClusterHost(host), inside));
  }
});

describe('decideCredentialUse', () => {
  it('refuses a Secret without the annotation, and says exactly what to add', () => {
    const d = decide('https://evil.example.com:19530', undefined);
    assert.equal(d.allowed, false);
    assert.ok(!d.allowed);
    assert.equal(d.reason, 'CredentialsNotAllowed');
    assert.match(d.message, /^Secret team-a\/milvus-creds \(spec\.milvus\.credentialsSecret\) is not allowed for evil\.example\.com:19530 \(it has no such annotation\)/);
    assert.ok(d.message.includes('kubectl annotate secret -n team-a milvus-creds --overwrite milvusload.io/allowed-endpoints="evil.example.com:19530"'), d.message);
    assert.match(d.message, /--allowed-milvus-endpoints/);
  });

  it('refuses an endpoint the annotation does not list, and keeps the listed ones in the suggested value', () => {
    const d = decide('http://other.team-b.svc:19530', 'milvus.team-a.svc:19530');
    assert.ok(!d.allowed);
    assert.match(d.message, /is not allowed for other\.team-b:19530 \(it allows only "milvus\.team-a\.svc:19530"\)/);
    assert.ok(d.message.includes('allowed-endpoints="milvus.team-a.svc:19530,other.team-b:19530"'), d.message);
  });

  it('names annotation entries it cannot read', () => {
    const d = decide('https://m.example.com', 'https://m.example.com/path');
    assert.ok(!d.allowed);
    assert.match(d.message, /not host:port and are ignored: "https:\/\/m\.example\.com\/path"/);
  });

  it('allows what the annotation lists, matched as instances are (suffix, case, default port)', () => {
    for (const uri of ['http://milvus.team-a.svc:19530', 'http://MILVUS.team-a.svc.cluster.local', 'https://milvus.team-a.svc']) {
      assert.deepEqual(decide(uri, 'milvus.team-a.svc.cluster.local:19530'), { allowed: true, by: 'secret' }, uri);
    }
    assert.equal(decide('http://milvus.team-a.svc:19531', 'milvus.team-a.svc:19530').allowed, false, 'another port is another endpoint');
    assert.equal(decide('http://milvus.team-a.svc', 'milvus.team-b.svc').allowed, false, 'another namespace is another endpoint');
  });

  it('allows what the administrator allows for every Secret', () => {
    const operator = parseEndpointList('milvus.shared.svc:19530,https://zilliz.example.com:8443');
    assert.deepEqual(decide('http://milvus.shared.svc:19530', undefined, operator), { allowed: true, by: 'operator' });
    assert.equal(decide('http://milvus.elsewhere.svc:19530', undefined, operator).allowed, false);
  });

  it('plain http to a host outside the cluster needs an explicit http:// entry', () => {
    const refused = decide('http://milvus.example.com:19530', 'milvus.example.com:19530');
    assert.ok(!refused.allowed);
    assert.match(refused.message, /would travel unencrypted over plain http:\/\/ to milvus\.example\.com:19530/);
    assert.match(refused.message, /write "http:\/\/milvus\.example\.com:19530" in the Secret's annotation milvusload\.io\/allowed-endpoints/);
    assert.deepEqual(decide('https://milvus.example.com:19530', 'milvus.example.com:19530'), { allowed: true, by: 'secret' }, 'TLS needs no opt-in');
    assert.deepEqual(decide('http://milvus.example.com:19530', 'http://milvus.example.com:19530'), { allowed: true, by: 'secret' });
    assert.deepEqual(decide('http://10.0.0.7:19530', '', parseEndpointList('http://10.0.0.7')), { allowed: true, by: 'operator' });
    assert.equal(decide('http://10.0.0.7:19530', '10.0.0.7').allowed, false, 'an IP address may be outside the cluster');
    assert.deepEqual(decide('http://127.0.0.1:4000', '127.0.0.1:4000'), { allowed: true, by: 'secret' }, 'loopback');
  });

  it('an https:// entry allows TLS only, even inside the cluster', () => {
    const d = decide('http://milvus.team-a.svc:19530', 'https://milvus.team-a.svc:19530');
    assert.ok(!d.allowed);
    assert.match(d.message, /over https:\/\/ only/);
    assert.equal(decide('https://milvus.team-a.svc:19530', 'https://milvus.team-a.svc:19530').allowed, true);
  });

  it('a URI that does not parse is refused, never guessed', () => {
    const d = decide('http://[::::]:19530', 'whatever:1');
    assert.ok(!d.allowed);
    assert.match(d.message, /spec\.milvus\.uri is not a URI/);
  });

  it('quotes annotation values, so control characters never reach a status raw', () => {
    const d = decide('https://m.example.com', 'a:1\u001b[2J');
    assert.ok(!d.allowed);
    assert.ok(!d.message.includes('\u001b'), d.message);
  });

  it('never repeats a password written into the annotation', () => {
    const d = decide('https://m.example.com', 'http://admin:hunter2@m.example.com:443');
    assert.ok(!d.allowed);
    assert.match(d.message, /not host:port and are ignored: "http:\/\/\*\*\*@m\.example\.com:443"/);
    assert.ok(!d.message.includes('hunter2'), d.message);
  });
});
