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
});
