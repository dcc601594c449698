import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';
import { compileGlob } from './glob.ts';
import { formatBytes, parseQuantity } from './quantity.ts';
import { timeZoneExists } from './runtime-checks.ts';

describe('quantities', () => {
  const cases: [string | number, number | undefined][] = [
    ['12Gi', 12 * 2 ** 30],
    ['500Mi', 500 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2G', 2e9],
    ['1e3', 1000],
    ['100m', 1],
    [4096, 4096],
    ['12 Gi', undefined],
    ['Gi', undefined],
    ['', undefined],
  ];
  for (const [input, want] of cases) it(`parses ${JSON.stringify(input)}`, () => assert.equal(parseQuantity(input), want));
  it('formats bytes as valid quantities', () => {
    assert.equal(formatBytes(41 * 2 ** 30), '41Gi');
    assert.equal(formatBytes(1.5 * 2 ** 30), '1.5Gi');
    assert.equal(formatBytes(512 * 2 ** 20), '512Mi');
    assert.equal(formatBytes(900), '900');
    for (const n of [1, 1023, 1024, 5_000_000, 7.3e12]) assert.ok(parseQuantity(formatBytes(n)) !== undefined);
  });
});

describe('durations', () => {
  it('parses and formats', () => {
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration(''), undefined);
    assert.equal(parseDuration('15 minutes'), undefined);
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(0), '0s');
  });
});

describe('globs', () => {
  const match = (g: string, s: string) => {
    const c = compileGlob(g);
    assert.ok(c.ok);
    return c.glob.test(s);
  };
  it('matches shell-style', () => {
    assert.ok(match('logs_2026_*', 'logs_2026_11'));
    assert.ok(!match('logs_2026_*', 'xlogs_2026_11'));
    assert.ok(match('c?', 'c1'));
    assert.ok(!match('c?', 'c12'));
    assert.ok(match('logs_2026_0[1-9]', 'logs_2026_05'));
    assert.ok(!match('logs_2026_0[!1-5]', 'logs_2026_03'));
    assert.ok(match('a-b', 'a-b'));
    assert.ok(!match('a.b', 'axb'), 'a dot is literal');
  });
  it('rejects malformed globs with a position', () => {
    const c = compileGlob('logs_[0-9');
    assert.ok(!c.ok && c.error.includes('unclosed'));
    assert.ok(!compileGlob('a]b').ok);
  });
});

describe('time zones', () => {
  it('knows IANA names', () => {
    assert.ok(timeZoneExists('Europe/Berlin'));
    assert.ok(timeZoneExists('UTC'));
    assert.ok(!timeZoneExists('Mars/Olympus_Mons'));
  });
});
