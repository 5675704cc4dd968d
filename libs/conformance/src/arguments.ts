// The command line of skald-conformance (commander), parsed into the options of runConformance.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_TOPIC_PREFIX } from '@skald/protocol';
import { ConformanceUsageError } from './errors';
import { DEFAULT_TIMEOUT_MS, type ConformanceOptions } from './options';

export type CliArguments =
  { help: string } | { help?: undefined; json: boolean; options: ConformanceOptions };

const EXIT_STATUS = `
Kafka credentials come from the environment, as the orchestrator's: KAFKA_SASL_MECHANISM,
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE), KAFKA_TLS,
KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE, KAFKA_TLS_REJECT_UNAUTHORIZED.

Exit status: 0 every check passed; 1 a check failed, or the kit could not start (Kafka
unreachable, the participant's topic missing); 2 bad usage.`;

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidArgumentError(`It must be JSON: ${(error as Error).message}.`);
  }
}

function positiveInteger(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new InvalidArgumentError('It must be a positive integer.');
  return Number(text);
}

const brokerList = (text: string): string[] =>
  text
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);

/** The parsed flags: the library's options with their defaults filled in, and --json. */
type Flags = ConformanceOptions &
  Required<Pick<ConformanceOptions, 'topicPrefix' | 'timeoutMs'>> & {
    json?: boolean;
  };

function program(output: { help: string }): Command {
  return (
    new Command('skald-conformance')
      .usage(
        '--participant <name> --brokers <host:port,...> --command <type> --payload <json> --compensation <type> [options]',
      )
      .description(
        'Checks a running Skald participant against the wire protocol from the outside, acting ' +
          'as the orchestrator would (docs/conformance.md). No orchestrator is needed: replies ' +
          "come to a topic of the kit's own, named in ce_replyto.",
      )
      .requiredOption(
        '--participant <name>',
        "the participant's name; it reads <prefix>.commands.<name>",
      )
      .requiredOption(
        '--brokers <host:port,...>',
        'Kafka bootstrap servers, comma-separated',
        brokerList,
      )
      .requiredOption(
        '--command <type>',
        'a forward command the participant carries out with --payload',
      )
      .requiredOption('--payload <json>', "that command's payload (JSON)", json)
      .requiredOption('--compensation <type>', 'the compensation that undoes --command')
      .option(
        '--compensation-payload <json>',
        "the compensation's payload (JSON; default: --payload)",
        json,
      )
      .option('--topic-prefix <prefix>', 'the topic prefix', DEFAULT_TOPIC_PREFIX)
      .option(
        '--timeout-ms <ms>',
        'how long to wait for each reply or dead letter',
        positiveInteger,
        DEFAULT_TIMEOUT_MS,
      )
      .option('--json', 'print the report as JSON instead of one line per check')
      .helpOption('-h, --help', 'print this help')
      .addHelpText('after', EXIT_STATUS)
      .exitOverride()
      // help is returned; an error becomes a ConformanceUsageError with commander's message
      .configureOutput({
        writeOut: (text) => (output.help += text),
        writeErr: () => undefined,
        outputError: () => undefined,
      })
  );
}

/** Throws ConformanceUsageError naming the flag that is missing, unknown or malformed. */
export function parseCliArguments(argv: string[]): CliArguments {
  const output = { help: '' };
  const cli = program(output);
  try {
    cli.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed') return { help: output.help };
    throw new ConformanceUsageError(error.message.replace(/^error: /, ''), { cause: error });
  }
  const flags = cli.opts<Flags>();
  return {
    json: flags.json ?? false,
    options: {
      participant: flags.participant,
      brokers: flags.brokers,
      command: flags.command,
      payload: flags.payload,
      compensation: flags.compensation,
      compensationPayload: flags.compensationPayload,
      topicPrefix: flags.topicPrefix,
      timeoutMs: flags.timeoutMs,
    },
  };
}
