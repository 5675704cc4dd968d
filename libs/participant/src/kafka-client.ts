import { Kafka, logLevel } from 'kafkajs';
import { checkKafkaLogin, kafkaLogLine, kafkaLogSeverity } from '@skald/protocol';
import type { ParticipantKafkaOptions } from './options';

/**
 * kafkajs' retries for the clients the SDK creates. A connection kafkajs is retrying when stop()
 * is called goes on retrying, keeping the process alive: this keeps such a run to about 5 s
 * (kafkajs' default is about 20 s). The consumer is restarted after it gives up, so a longer
 * outage is still outlived.
 */
const RETRY = { initialRetryTime: 250, maxRetryTime: 2_000, retries: 4 };

/**
 * True for a kafkajs client given in the options. Checked by shape, not `instanceof Kafka`: the
 * user's client may come from another copy of kafkajs than the one this SDK resolves.
 */
export function isKafkaClient(value: ParticipantKafkaOptions | Kafka): value is Kafka {
  const client = value as Partial<Record<'producer' | 'consumer' | 'admin', unknown>>;
  return (
    typeof client.producer === 'function' &&
    typeof client.consumer === 'function' &&
    typeof client.admin === 'function'
  );
}

/**
 * The kafkajs client of a participant given brokers. kafkajs logs its errors through `log`, except
 * the error answers it retries by itself (a broker starting, a topic being created): kafkaLogSeverity.
 */
export function createKafka(
  options: ParticipantKafkaOptions,
  defaultClientId: string,
  log: (message: string) => void,
): Kafka {
  return new Kafka({
    clientId: options.clientId ?? defaultClientId,
    brokers: options.brokers,
    sasl: options.sasl,
    ssl: options.ssl,
    retry: RETRY,
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      if (kafkaLogSeverity(entry) !== 'debug') log(`kafkajs: ${kafkaLogLine(entry)}`);
    },
  });
}

/**
 * With credentials given, logs in to a broker once (checkKafkaLogin): a refused login or a failed
 * TLS handshake throws one KafkaAuthenticationError, before the consumers would retry it for ever.
 */
export async function checkLogin(
  options: ParticipantKafkaOptions,
  defaultClientId: string,
): Promise<void> {
  if (!options.sasl && !options.ssl) return;
  await checkKafkaLogin({
    brokers: options.brokers,
    sasl: options.sasl,
    hint: {
      sasl: 'Check the participant’s kafka.sasl option.',
      tls: 'Check the participant’s kafka.ssl option (ca: the CA that signed the broker’s certificate) and that the port speaks TLS.',
    },
    connect: async (broker) => {
      const admin = new Kafka({
        clientId: options.clientId ?? defaultClientId,
        brokers: [broker],
        sasl: options.sasl,
        ssl: options.ssl,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  });
}
