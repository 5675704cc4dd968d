import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';

export const KAFKA = Symbol('KAFKA');

/**
 * The longest any one Kafka client may take to disconnect on shutdown. Shutdown stops the relay,
 * the consumer, the admin and the producer one after another: with the broker gone, each takes
 * this long, and together they must stay well inside main.ts's 20 s grace period.
 */
export const SHUTDOWN_STEP_MS = 2_000;

const kafkaLogger = new Logger('kafkajs');

/** Routes kafkajs logs into the app's logger. */
export function logEntry({ namespace, level, log }: LogEntry): void {
  // kafkajs repeats timestamp, logger name and a full stack on every line; keep the facts only
  const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log;
  const line = `${namespace}: ${message} ${JSON.stringify(extra)}`;
  if (level === logLevel.ERROR) kafkaLogger.error(line);
  else if (level === logLevel.WARN) kafkaLogger.warn(line);
  else kafkaLogger.debug(line);
}
