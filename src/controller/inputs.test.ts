import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MilvusPort } from '../milvus/port.ts';
import { policy } from '../planner/testkit.ts';
import { ConnectionPool } from './connections.ts';
import { ALLOWED_ENDPOINTS_ANNOTATION } from './credential-scope.ts';
import { resolveInputs, secretResolver } from './inputs.ts';
import { PassMemory } from './pass-memory.ts';

describe('resolveInputs', () => {
  it('reads a Secret once per pass however many policies name it', async () => {
    let gets = 0;
    const kube = {
      getSecret: async () => {
        gets++;
        return { data: { token: 'root:Milvus' }, annotations: { [ALLOWED_ENDPOINTS_ANNOTATION]: 'http://milvus:19530' } };
      },
    };
    const pool = new ConnectionPool(() => ({ close: async () => undefined }) as unknown as MilvusPort);
    const policies = ['a', 'b', 'c'].map((name) => policy({ name, spec: { milvus: { uri: 'http://milvus:19530', credentialsSecret: { name: 'shared' } } } }));
    const pass = () => ({ resolve: secretResolver(kube, pool.allowedEndpoints), pool, memory: new PassMemory(), unparsable: false });
    const ins = await resolveInputs(pass(), 'milvus:19530', policies);
    assert.equal(gets, 1);
    assert.equal(ins.groups.size, 1, 'one connection for the three');
    assert.ok(ins.inputs.every((i) => i.connectionFailure === undefined));
    await resolveInputs(pass(), 'milvus:19530', policies);
    assert.equal(gets, 2, 'the next pass reads it again (rotation applies within a resync)');
  });

  it('a policy whose URI cannot be parsed gets a problem, and no connection', async () => {
    const pool = new ConnectionPool(() => assert.fail('no connection may be opened'));
    const ins = await resolveInputs({ resolve: () => assert.fail('nothing to resolve'), pool, memory: new PassMemory(), unparsable: true }, '(unparsable)', [policy({ name: 'a' })]);
    assert.match(ins.inputs[0]?.problems.join(' ') ?? '', /spec\.milvus\.uri/);
    assert.equal(ins.groups.size, 0);
  });

  it('plans the informer object itself when validation adds nothing, and a defaulted copy otherwise', async () => {
    const pool = new ConnectionPool(() => ({ close: async () => undefined }) as unknown as MilvusPort);
    const src = { resolve: async () => ({ ok: true as const, credentialKey: 'k', settings: { address: 'milvus:19530' } as never }), pool, memory: new PassMemory(), unparsable: false };
    const bare = policy({ name: 'bare', spec: { milvus: { uri: 'https://milvus:19530', tls: { caSecret: { name: 'ca' }, serverName: 'milvus' } } } });
    delete bare.spec.milvus.tls?.caSecret.key; // as a client may send it: the apiserver adds the default
    bare.status = { observedGeneration: 1 };
    const ins = await resolveInputs(src, 'milvus:19530', [bare]);
    const planned = ins.inputs[0]?.policy;
    assert.notEqual(planned, bare, 'a copy: the apiserver would have added the defaults');
    assert.equal(planned?.spec.milvus.tls?.caSecret?.key, 'ca.crt', 'with the schema default');
    assert.equal(planned?.status, bare.status, 'and the cached status');
    const complete = structuredClone<typeof bare>(planned);
    const again = await resolveInputs(src, 'milvus:19530', [complete]);
    assert.equal(again.inputs[0]?.policy, complete, 'nothing to add: no copy kept or made');
  });
});
