// The MILVUS_URI pattern against Node's URL parser on generated URIs: what
// the pattern accepts, URL parses and instanceKey() keys (issue 19), and
// every well-formed host:port the pattern means to allow, it allows.
// test/api/milvus-uri.test.ts checks a table of the same against admission.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { instanceKey } from './instance.ts';
import { MILVUS_URI } from './patterns.ts';

const pattern = new RegExp(MILVUS_URI);
const hostChars = fc.constantFrom('a', 'f', 'x', 'Z', '0', '1', '9', '.', '-', ':', '[', ']', '%', '@');
const arbNearUri = fc
  .tuple(
    fc.constantFrom('http://', 'https://', 'http:/', 'ftp://'),
    fc.array(hostChars, { minLength: 0, maxLength: 24 }).map((cs) => cs.join('')),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 99_999 }).map(String), fc.stringMatching(/^[0-9]{0,7}$/)), { nil: undefined }),
    fc.constantFrom('', '/', '//', '/x'),
  )
  .map(([scheme, host, port, tail]) => `${scheme}${host}${port === undefined ? '' : `:${port}`}${tail}`);

it('what the pattern accepts, URL parses and instanceKey keys', () => {
  fc.assert(
    fc.property(arbNearUri, (uri) => {
      if (!pattern.test(uri)) return;
      const key = instanceKey(uri);
      assert.ok(key !== undefined, `${uri} passes the schema but has no instance key`);
      const port = Number(key.slice(key.lastIndexOf(':') + 1));
      assert.ok(port >= 1 && port <= 65535, `${uri}: port ${port}`);
    }),
    { numRuns: 20_000 },
  );
});

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const dnsName = fc.tuple(fc.array(label, { maxLength: 4 }), fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/)).map(([ls, last]) => [...ls, last].join('.'));
const ipv4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((o) => o.join('.'));
// Groups with runs of zeros, so that URL's canonical form compresses some of them with `::`.
const ipv6Full = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const ipv6 = ipv6Full.chain((full) => fc.constantFrom(`[${full}]`, new URL(`http://[${full}]`).hostname));
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

it('accepts every well-formed DNS name, IPv4 and IPv6 address with a port from 1 to 65535', () => {
  fc.assert(
    fc.property(fc.constantFrom('http://', 'https://'), fc.oneof(dnsName, ipv4, ipv6), port, (scheme, host, p) => {
      const uri = `${scheme}${host}${p === undefined ? '' : `:${p}`}`;
      assert.ok(pattern.test(uri), `${uri} is refused by the schema`);
      assert.ok(instanceKey(uri) !== undefined);
    }),
    { numRuns: 5000 },
  );
});
