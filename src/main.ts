#!/usr/bin/env node
// milvus-load-operator: run | version. Exit codes: 0 ok, 1 failure, 2 usage error.
import { readFileSync } from 'node:fs';
import { run, RUN_HELP, UsageError } from './cli/run.ts';
import { VALIDATE_HELP, validateCommand } from './cli/validate.ts';

const HELP = `Usage: milvus-load-operator <command> [flags]

Commands:
  run       run the operator (see: milvus-load-operator run --help)
  validate  check manifests offline (see: milvus-load-operator validate --help)
  version   print the version

Keeps Milvus collections loaded or released as CollectionLoadPolicy resources declare.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url).pathname.replace('/dist/package.json', '/package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`milvus-load-operator ${version()}\n`);
    return 0;
  }
  if (command === 'run') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(RUN_HELP);
      return 0;
    }
    await run(rest);
    return 0;
  }
  if (command === 'validate') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(VALIDATE_HELP);
      return 0;
    }
    const r = validateCommand(rest);
    process.stdout.write(r.out);
    return r.code;
  }
  process.stderr.write(`milvus-load-operator: unknown command ${command}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    // After `run` has stopped cleanly, gRPC's reconnect timers must not keep the process up.
    process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`milvus-load-operator: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`milvus-load-operator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
