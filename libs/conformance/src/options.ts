// What the kit is told to check, validated once into the form the checks use.
import {
  commandTopic,
  DEFAULT_TOPIC_PREFIX,
  deadLetterTopic,
  isTopicName,
  type KafkaCredentials,
} from '@skald/protocol';
import { ConformanceUsageError } from './errors';

export interface ConformanceOptions {
  /** The participant's name: its commands go to `<topicPrefix>.commands.<participant>`. */
  participant: string;
  /** Kafka bootstrap servers, e.g. `['localhost:9092']`. */
  brokers: string[];
  /**
   * SASL and TLS towards the brokers, e.g. `kafkaCredentialsFromEnv(process.env).credentials`
   * (the CLI reads KAFKA_SASL_* and KAFKA_TLS_* so). @default neither
   */
  credentials?: KafkaCredentials;
  /** A forward command (`ce_type`) the participant carries out with `payload`: it must answer `success`. */
  command: string;
  /** The command's payload (any JSON value). */
  payload: unknown;
  /** The compensation (`ce_type`) that undoes `command`. */
  compensation: string;
  /** @default payload */
  compensationPayload?: unknown;
  /** @default 'skald' (SKALD_TOPIC_PREFIX of the orchestrator) */
  topicPrefix?: string;
  /** How long to wait for each reply or dead letter. @default 10_000 */
  timeoutMs?: number;
}

export interface CompiledConformanceOptions {
  participant: string;
  brokers: string[];
  credentials: KafkaCredentials;
  command: string;
  payload: unknown;
  compensation: string;
  compensationPayload: unknown;
  timeoutMs: number;
  topics: { commands: string; deadLetters: string };
  topicPrefix: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Throws ConformanceUsageError naming the first option that is wrong. */
export function compileConformanceOptions(options: ConformanceOptions): CompiledConformanceOptions {
  const topicPrefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const named = (option: string, value: unknown): string => {
    if (typeof value !== 'string' || value === '')
      throw new ConformanceUsageError(`${option} must be a non-empty string`);
    return value;
  };
  const participant = named('participant', options.participant);
  const commands = commandTopic(named('topicPrefix', topicPrefix), participant);
  if (!isTopicName(commands))
    throw new ConformanceUsageError(
      `participant and topicPrefix must make a Kafka topic name (a-z A-Z 0-9 . _ -), got "${commands}"`,
    );
  if (!Array.isArray(options.brokers) || options.brokers.length === 0)
    throw new ConformanceUsageError('brokers must name at least one Kafka broker (host:port)');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new ConformanceUsageError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
  return {
    participant,
    brokers: options.brokers.map((broker) => named('each broker', broker)),
    credentials: options.credentials ?? {},
    command: named('command', options.command),
    payload: options.payload,
    compensation: named('compensation', options.compensation),
    compensationPayload:
      options.compensationPayload === undefined ? options.payload : options.compensationPayload,
    timeoutMs,
    topics: { commands, deadLetters: deadLetterTopic(topicPrefix) },
    topicPrefix,
  };
}
