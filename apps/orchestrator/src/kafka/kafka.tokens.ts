import { Logger } from '@nestjs/common';
import type { Kafka, KafkaConfig, LogEntry } from 'kafkajs';
import { kafkaLogLine, kafkaLogSeverity } from '@skald/protocol';

export const KAFKA = Symbol('KAFKA');

/** Makes a client with the module's brokers, credentials and logging, `overrides` on top. */
export type KafkaClientFactory = (overrides?: Partial<KafkaConfig>) => Kafka;

/**
 * The longest any one Kafka client may take to disconnect on shutdown. Shutdown stops the relay,
 * the consumer, the admin and the producer one after another: with the broker gone, each takes
 * this long, and together they must stay well inside main.ts's 20 s grace period.
 */
export const SHUTDOWN_STEP_MS = 2_000;

const kafkaLogger = new Logger('kafkajs');

/**
 * Routes kafkajs logs into the app's logger, as loud as they deserve: the error answers kafkajs
 * logs and then retries while a broker starts or a topic is created go to debug (kafkaLogSeverity).
 */
export function logEntry(entry: LogEntry): void {
  const line = kafkaLogLine(entry);
  const severity = kafkaLogSeverity(entry);
  if (severity === 'error') kafkaLogger.error(line);
  else if (severity === 'warn') kafkaLogger.warn(line);
  else kafkaLogger.debug(line);
}
