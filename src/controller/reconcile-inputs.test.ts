// Step 1 of a pass: Secrets, TLS and URIs become a connection or a problem on
// the one policy, never a failed pass and never a leaked credential.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validatePolicy } from '../api/resources.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';
import { policy, T0 } from '../planner/testkit.ts';
import { instanceOf, UNPARSABLE_URI } from './pass.ts';
import { Harness } from './testkit.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
/** The Secret's owner allows its credentials to go to the policies' Milvus (ADR 0008). */
const ALLOWED = { 'milvusload.io/allowed-endpoints': 'http://milvus:19530' };

function tlsPolicy(): CollectionLoadPolicy {
  return policy({ name: 'p', spec: { milvus: { uri: 'https://milvus:19530', tls: { caSecret: { name: 'ca' }, serverName: 'milvus.example.com' } } } });
}

function assertNoSecretLeaks(h: Harness, ...values: string[]): void {
  const written = JSON.stringify([h.kube.statusPatches, h.kube.events, h.stats]);
  for (const v of values) {
    assert.ok(!written.includes(v), `a secret value reached a status or an Event`);
    assert.ok(!h.logs.some((l) => l.includes(v)), 'a secret value reached a log line');
  }
}

describe('reconcile: TLS CA Secret', () => {
  it('missing: Ready=False SecretNotFound naming the Secret, Stalled, no client opened', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.apply(tlsPolicy());
    await h.pass();
    const ready = h.condition('p', 'Ready');
    assert.equal(ready.reason, 'SecretNotFound');
    assert.match(ready.message, /Secret team\/ca with key ca\.crt \(spec\.milvus\.tls\.caSecret\) does not exist/);
    assert.equal(h.condition('p', 'Stalled').status, 'True');
    assert.equal(h.milvus.clients.length, 0);
  });

  it('not PEM: SecretInvalid', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.putSecret('team', 'ca', { 'ca.crt': 'not a certificate' });
    h.kube.apply(tlsPolicy());
    await h.pass();
    assert.equal(h.condition('p', 'Ready').reason, 'SecretInvalid');
    assert.match(h.condition('p', 'Ready').message, /not a PEM certificate bundle/);
  });

  it('a PEM bundle: the client gets it, with the server name, and loads', async () => {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.putSecret('team', 'ca', { 'ca.crt': PEM });
    h.kube.apply(tlsPolicy());
    await h.pass();
    assert.equal(h.milvus.clients.length, 1);
    assert.deepEqual([h.milvus.clients[0]?.settings.tls, h.milvus.clients[0]?.settings.caPem, h.milvus.clients[0]?.settings.serverName], [true, PEM, 'milvus.example.com']);
    assert.equal(h.milvus.count('load'), 1);
  });
});

describe('reconcile: credentials Secret', () => {
  function withCredentials(): Harness {
    const h = new Harness({ start: T0 });
    h.milvus.add('c1');
    h.kube.apply(policy({ name: 'p', spec: { milvus: { uri: 'http://milvus:19530', credentialsSecret: { name: 'creds' } } } }));
    return h;
  }

  it('rotated between passes: a new client with the new token, the old one closed, nothing leaked', async () => {
    const h = withCredentials();
    h.kube.putSecret('team', 'creds', { token: 'root:first-Secret-value' }, ALLOWED);
    await h.pass();
    h.kube.putSecret('team', 'creds', { token: 'root:second-Secret-value' }, ALLOWED);
    h.clock.advance(2_000);
    await h.pass();
    assert.deepEqual(h.milvus.clients.map((c) => [c.settings.token, c.closed]), [['root:first-Secret-value', true], ['root:second-Secret-value', false]]);
    assert.equal(h.pool.size(), 1);
    assert.equal(h.kube.count('getSecret'), 2, 'one GET per Secret per pass');
    assert.equal(h.entry('p', 'c1').state, 'Loaded');
    assertNoSecretLeaks(h, 'first-Secret-value', 'second-Secret-value');
  });

  it('not allowed to go to this endpoint: no client gets the credentials (CredentialsNotAllowed)', async () => {
    const h = withCredentials();
    h.kube.putSecret('team', 'creds', { token: 'root:never-sent-value' }, { 'milvusload.io/allowed-endpoints': 'https://elsewhere:19530' });
    await h.pass();
    assert.equal(h.condition('p', 'Ready').reason, 'CredentialsNotAllowed');
    assert.equal(h.milvus.clients.length, 0);
    assertNoSecretLeaks(h, 'never-sent-value');
  });

  it('unchanged: the same client is reused', async () => {
    const h = withCredentials();
    h.kube.putSecret('team', 'creds', { username: 'alice', password: 'a-long-password' }, ALLOWED);
    await h.drive(2 * 60_000);
    assert.equal(h.milvus.clients.length, 1);
    assert.deepEqual([h.milvus.clients[0]?.settings.username, h.milvus.clients[0]?.settings.password], ['alice', 'a-long-password']);
    assertNoSecretLeaks(h, 'a-long-password');
  });

  it('missing, then incomplete, then unreadable: each a clear problem on this policy only', async () => {
    const h = withCredentials();
    h.milvus.loadSteps = 2;
    h.milvus.add('other');
    h.kube.apply(policy({ name: 'q', spec: { selector: { names: ['other'] } } }));
    await h.pass();
    assert.equal(h.condition('p', 'Ready').reason, 'SecretNotFound');
    assert.match(h.condition('p', 'Ready').message, /Secret team\/creds \(spec\.milvus\.credentialsSecret\) does not exist; create it/);
    assert.equal(h.condition('q', 'Ready').reason, 'Loading');
    assert.equal(h.milvus.loads.map((l) => l.collection).join(), 'other', 'the other policy is unaffected');
    h.kube.putSecret('team', 'creds', { username: 'alice' }, ALLOWED);
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.condition('p', 'Ready').reason, 'SecretInvalid');
    h.kube.failNext('getSecret', 'Forbidden');
    h.clock.advance(2_000);
    await h.pass();
    assert.equal(h.condition('p', 'Ready').reason, 'SecretUnreadable');
    assert.equal(h.condition('p', 'Stalled').status, 'False', 'an unreadable Secret is retried');
  });
});

describe('reconcile: a URI that cannot be parsed', () => {
  it('gets Ready=False InvalidSpec under its own key, and touches no Milvus', async () => {
    const raw = policy({ name: 'p' });
    const bad = { ...raw, spec: { ...raw.spec, milvus: { ...raw.spec.milvus, uri: 'http://milvus:99999' } } };
    assert.equal(instanceOf(bad.spec.milvus.uri), UNPARSABLE_URI);
    assert.equal(instanceOf(undefined), UNPARSABLE_URI);
    assert.equal(validatePolicy(bad).ok, false, 'admission refuses it too; one stored before that still gets a status');
    const h = new Harness({ start: T0 });
    h.kube.apply(bad);
    const o = await h.pass(UNPARSABLE_URI);
    assert.equal(o.ok, true);
    const ready = h.condition('p', 'Ready');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(ready.message, /spec\.milvus\.uri/);
    assert.equal(h.condition('p', 'Stalled').status, 'True');
    assert.equal(h.milvus.clients.length, 0);
  });
});
