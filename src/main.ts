#!/usr/bin/env node
// milvus-load-operator: run | validate | plan | version.
// Exit codes: 0 ok, 1 failure, 2 usage error (plan --detailed-exitcode: 3 changes pending).
import { asksForHelp, commonFlags, parseCommandLine, UsageError } from './cli/flags.ts';
import { run, RUN_HELP } from './cli/run.ts';
import { VALIDATE_HELP, validateCommand } from './cli/validate.ts';
import { packageVersion } from './cli/version.ts';

const HELP = `Usage: milvus-load-operator <command> [flags]

Commands:
  run       run the operator (see: milvus-load-operator run --help)
  validate  check manifests offline (see: milvus-load-operator validate --help)
  plan      show what the operator would do now, and why; changes nothing (see: milvus-load-operator plan --help)
  version   print the version

Every command takes --help. Exit codes: 0 ok, 1 failure, 2 usage error
(plan --detailed-exitcode also: 3 changes pending).

Keeps Milvus collections loaded or released as CollectionLoadPolicy resources declare.
`;

const VERSION_HELP = `Usage: milvus-load-operator version

Prints the version, e.g. "milvus-load-operator 0.1.0". Exit code 0.
`;

interface Command {
  readonly help: () => string | Promise<string>;
  /** Runs the command on the words after its name; resolves to the exit code. */
  readonly execute: (argv: string[]) => number | Promise<number>;
}

// Loaded only for `plan`: its view and report code is of no use to `run`.
// Both read the kubeconfig with src/kube/kubeconfig.ts (ADR 0009), which
// imports @kubernetes/client-node only for exec plugins and the like.
const planModule = (): Promise<typeof import('./cli/plan.ts')> => import('./cli/plan.ts');

const COMMANDS: Readonly<Record<string, Command>> = {
  run: {
    help: () => RUN_HELP,
    execute: async (argv) => {
      await run(argv);
      return 0;
    },
  },
  validate: {
    help: () => VALIDATE_HELP,
    execute: (argv) => {
      const r = validateCommand(argv);
      process.stdout.write(r.out);
      return r.code;
    },
  },
  plan: {
    help: async () => (await planModule()).PLAN_HELP,
    execute: async (argv) => {
      const r = await (await planModule()).planCommand(argv);
      process.stdout.write(r.out);
      return r.code;
    },
  },
  version: {
    help: () => VERSION_HELP,
    execute: (argv) => {
      parseCommandLine('version', argv, commonFlags('help'));
      process.stdout.write(`milvus-load-operator ${packageVersion()}\n`);
      return 0;
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return topLevelHelp(command, rest);
  const name = command === '--version' ? 'version' : command;
  const chosen = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!chosen) throw new UsageError(`unknown command ${command}; the commands are run, validate, plan and version (milvus-load-operator --help)`);
  if (asksForHelp(rest)) {
    process.stdout.write(await chosen.help());
    return 0;
  }
  return chosen.execute(rest);
}

/** `help CMD` is `CMD --help`; bare `--help` prints to stdout (exit 0), no command at all to stderr (exit 2). */
function topLevelHelp(command: string | undefined, rest: string[]): Promise<number> | number {
  const topic = command === 'help' ? rest[0] : undefined;
  if (topic) return main([topic, '--help']);
  if (command) process.stdout.write(HELP);
  else process.stderr.write(HELP);
  return command ? 0 : 2;
}

/** Exits once stdout has drained (a pipe may still hold output); gRPC's reconnect timers must not keep the process up. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

// `... | head` closes the pipe early: that is the reader's choice, not a failure to report with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`milvus-load-operator: cannot write to standard output: ${e.message}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  // A user error is a message and an exit code, never a stack trace. MLO_DEBUG=1 shows the stack of anything else.
  if (e instanceof UsageError) {
    process.stderr.write(`milvus-load-operator: ${e.message}\n`);
    exit(2);
    return;
  }
  const detail = process.env.MLO_DEBUG && e instanceof Error && e.stack ? e.stack : e instanceof Error ? e.message : String(e);
  process.stderr.write(`milvus-load-operator: ${detail}\n`);
  exit(1);
});
