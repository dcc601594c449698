import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asksForHelp, parseCommandLine, UsageError, type FlagSpecs } from './flags.ts';
import { PLAN_HELP, PLAN_OPTIONS } from './plan/flags.ts';
import { RUN_HELP, RUN_OPTIONS } from './run.ts';
import { VALIDATE_HELP, VALIDATE_OPTIONS } from './validate.ts';

const COMMANDS: readonly [string, string, FlagSpecs][] = [
  ['run', RUN_HELP, RUN_OPTIONS],
  ['validate', VALIDATE_HELP, VALIDATE_OPTIONS],
  ['plan', PLAN_HELP, PLAN_OPTIONS],
];

describe('command lines', () => {
  for (const [command, help, specs] of COMMANDS) {
    it(`${command} --help lists every flag ${command} takes, and ${command} takes every flag its help lists`, () => {
      // The flags the help defines: lines that start with one (other text may name other tools' flags).
      const listed = new Set([...help.matchAll(/^ {2}(?:-[a-zA-Z], )?--([a-z][a-z-]*)/gm)].map((m) => m[1]));
      // --help itself is documented once, by main's help ("Every command takes --help").
      const taken = Object.keys(specs).filter((n) => n !== 'help');
      assert.deepEqual([...listed].sort(), taken.sort());
      for (const [name, spec] of Object.entries(specs)) {
        if (spec.short && name !== 'help') assert.match(help, new RegExp(`-${spec.short}, --${name}\\b`), `${command} --help shows -${spec.short} beside --${name}`);
      }
    });
  }

  it('parses with util.parseArgs: = inside values, grouped switches, -- ends the flags', () => {
    const specs = { name: { type: 'string', short: 'n' }, all: { type: 'boolean', short: 'a' }, verbose: { type: 'boolean', short: 'v' }, file: { type: 'string', multiple: true } } as const satisfies FlagSpecs;
    assert.deepEqual(parseCommandLine('x', ['--name=a=b=c', '-av', '--file', 'f1', '--file=f=2'], specs), { name: 'a=b=c', all: true, verbose: true, file: ['f1', 'f=2'] });
    assert.deepEqual(parseCommandLine('x', ['-nvalue'], specs), { name: 'value' });
    assert.deepEqual(parseCommandLine('x', ['--name', 'one', '--name', 'two'], specs), { name: 'two' }, 'the last one wins');
    assert.throws(() => parseCommandLine('x', ['--', '--name'], specs), /unexpected argument --name: x takes flags only/);
  });

  it('refuses names that are not flags, even those every object has', () => {
    for (const name of ['--constructor', '--toString', '--__proto__', '--hasOwnProperty']) {
      assert.throws(() => parseCommandLine('x', [name], { help: { type: 'boolean' } }), (e: unknown) => e instanceof UsageError && e.message === `unknown flag ${name}; see milvus-load-operator x --help`);
    }
  });

  it('--help and -h win wherever they are', () => {
    assert.equal(asksForHelp(['-f', '--help']), true);
    assert.equal(asksForHelp(['--bogus', '-h']), true);
    assert.equal(asksForHelp(['--helpful']), false);
  });
});
