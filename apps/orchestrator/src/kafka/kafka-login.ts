import type { OnModuleInit } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { checkKafkaLogin, type KafkaCredentials } from '@skald/protocol';
import type { KafkaClientFactory } from './kafka.tokens';

/**
 * With credentials configured, logs in to a broker once before anything else uses Kafka: a refused
 * login or a failed TLS handshake stops the start with one KafkaAuthenticationError instead of
 * every client retrying and logging it for ever. An unreachable Kafka does not stop the start.
 */
export class KafkaLogin implements OnModuleInit {
  constructor(
    private readonly brokers: readonly string[],
    private readonly credentials: KafkaCredentials,
    private readonly create: KafkaClientFactory,
  ) {}

  async onModuleInit(): Promise<void> {
    const { sasl, ssl } = this.credentials;
    if (!sasl && !ssl) return;
    await checkKafkaLogin({
      brokers: this.brokers,
      sasl,
      hint: {
        sasl: 'Check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM.',
        tls: 'Check KAFKA_TLS_CA_FILE (the CA that signed the broker’s certificate), KAFKA_TLS_CERT_FILE / KAFKA_TLS_KEY_FILE, and that the port speaks TLS.',
      },
      connect: async (broker) => {
        // its own client, silent: the error thrown is the one line the operator sees
        const admin = this.create({
          brokers: [broker],
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).admin();
        try {
          await admin.connect();
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
    });
  }
}
