import { Kafka, logLevel } from 'kafkajs';
import { kafkaLogLine, kafkaLogSeverity } from '@skald/protocol';

/**
 * kafkajs' retries for the clients the SDK creates. A connection kafkajs is retrying when stop()
 * is called goes on retrying, keeping the process alive: this keeps such a run to about 5 s
 * (kafkajs' default is about 20 s). The consumer is restarted after it gives up, so a longer
 * outage is still outlived.
 */
const RETRY = { initialRetryTime: 250, maxRetryTime: 2_000, retries: 4 };

/**
 * The kafkajs client of a participant given brokers. kafkajs logs its errors through `log`, except
 * the error answers it retries by itself (a broker starting, a topic being created): kafkaLogSeverity.
 */
export function createKafka(
  options: { brokers: string[]; clientId?: string },
  defaultClientId: string,
  log: (message: string) => void,
): Kafka {
  return new Kafka({
    clientId: options.clientId ?? defaultClientId,
    brokers: options.brokers,
    retry: RETRY,
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      if (kafkaLogSeverity(entry) !== 'debug') log(`kafkajs: ${kafkaLogLine(entry)}`);
    },
  });
}
