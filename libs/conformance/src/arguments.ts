// The command line of skald-conformance, parsed into the options of runConformance.
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC_PREFIX } from '@skald/protocol';
import { ConformanceUsageError } from './errors';
import { DEFAULT_TIMEOUT_MS, type ConformanceOptions } from './options';

export const USAGE = `Usage: skald-conformance --participant <name> --brokers <host:port,...> --command <type>
                         --payload <json> --compensation <type> [options]

Checks a running Skald participant against the wire protocol from the outside, acting as the
orchestrator would (docs/conformance.md). No orchestrator is needed: replies come to a topic of
the kit's own, named in ce_replyto.

Options:
  --participant <name>           the participant's name; it reads <prefix>.commands.<name>
  --brokers <host:port,...>      Kafka bootstrap servers, comma-separated
  --command <type>               a forward command the participant carries out with --payload
  --payload <json>               that command's payload (JSON)
  --compensation <type>          the compensation that undoes --command
  --compensation-payload <json>  the compensation's payload (JSON; default: --payload)
  --topic-prefix <prefix>        the topic prefix (default: ${DEFAULT_TOPIC_PREFIX})
  --timeout-ms <ms>              how long to wait for each reply or dead letter (default: ${DEFAULT_TIMEOUT_MS})
  --json                         print the report as JSON instead of one line per check
  -h, --help                     print this help

Exit status: 0 every check passed; 1 a check failed, or the kit could not start (Kafka
unreachable, the participant's topic missing); 2 bad usage.
`;

export type CliArguments =
  { help: true } | { help: false; json: boolean; options: ConformanceOptions };

const REQUIRED = ['participant', 'brokers', 'command', 'payload', 'compensation'] as const;

function json(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConformanceUsageError(`--${flag} must be JSON: ${(error as Error).message}`);
  }
}

/** Throws ConformanceUsageError naming the flag that is missing, unknown or malformed. */
export function parseCliArguments(argv: string[]): CliArguments {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        participant: { type: 'string' },
        brokers: { type: 'string' },
        command: { type: 'string' },
        payload: { type: 'string' },
        compensation: { type: 'string' },
        'compensation-payload': { type: 'string' },
        'topic-prefix': { type: 'string' },
        'timeout-ms': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // node's parser says which flag is unknown or lacks its value
    throw new ConformanceUsageError((error as Error).message, { cause: error });
  }
  if (values.help) return { help: true };
  const missing = REQUIRED.filter((flag) => !values[flag]);
  if (missing.length)
    throw new ConformanceUsageError(
      `missing required option${missing.length > 1 ? 's' : ''} ${missing.map((f) => `--${f}`).join(', ')}`,
    );
  const timeout = values['timeout-ms'];
  if (timeout !== undefined && !/^[1-9][0-9]*$/.test(timeout))
    throw new ConformanceUsageError(`--timeout-ms must be a positive integer, got "${timeout}"`);
  const compensationPayload = values['compensation-payload'];
  return {
    help: false,
    json: values.json ?? false,
    options: {
      participant: values.participant!,
      brokers: values
        .brokers!.split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
      command: values.command!,
      payload: json('payload', values.payload!),
      compensation: values.compensation!,
      compensationPayload:
        compensationPayload === undefined
          ? undefined
          : json('compensation-payload', compensationPayload),
      topicPrefix: values['topic-prefix'],
      timeoutMs: timeout === undefined ? undefined : Number(timeout),
    },
  };
}
