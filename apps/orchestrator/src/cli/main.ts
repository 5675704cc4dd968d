#!/usr/bin/env node
// skald: the operator's command line, over the orchestrator's REST API (docs/cli.md).
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './api-client';
import {
  bulkCommand,
  definitionsCommand,
  participantsCommand,
  transactionsCommand,
} from './operations-commands';
import { sagasCommand } from './sagas-commands';

export function skaldProgram(): Command {
  const program = new Command('skald')
    .description(
      'Operate a Skald orchestrator: sagas, bulk actions, participants, 2PC, definitions',
    )
    .addOption(
      new Option('--url <url>', 'the orchestrator')
        .env('SKALD_URL')
        .default('http://localhost:3000'),
    )
    // a flag is visible to other users in `ps`: prefer the variable
    .addOption(new Option('--api-key <secret>', 'an API key').env('SKALD_API_KEY'))
    .option('--json', 'print JSON instead of tables')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [
    sagasCommand(),
    bulkCommand(),
    participantsCommand(),
    transactionsCommand(),
    definitionsCommand(),
  ])
    program.addCommand(command);
  // subcommands report their own usage errors the same way
  const override = (command: Command) => {
    command.exitOverride().showHelpAfterError();
    command.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

/** Runs the CLI; resolves with its exit code (0 ok, 1 refused, 2 usage, 3 unreachable). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await skaldProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version end here too, with exit code 0; commander has printed the message
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`skald: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`skald: ${(error as Error).message}\n`);
    return EXIT.refused;
  }
}

if (require.main === module) void runCli(process.argv.slice(2)).then((code) => process.exit(code));
