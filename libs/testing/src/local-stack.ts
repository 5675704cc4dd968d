import { describeDatabaseUrl } from '@skald/persistence';
import { startLocalKafka, type LocalKafkaOptions } from './local-kafka';
import { startLocalPostgres, type LocalPostgresOptions } from './local-postgres';

export interface LocalStackOptions {
  /** Use this PostgreSQL instead of starting one. @default process.env.DATABASE_URL */
  databaseUrl?: string;
  /** Use these brokers instead of starting one. @default process.env.KAFKA_BROKERS */
  kafkaBrokers?: string;
  postgres?: Omit<LocalPostgresOptions, 'log'>;
  kafka?: Omit<LocalKafkaOptions, 'log'>;
  log?: (line: string) => void;
}

export interface LocalStack {
  /** `postgres://…` of the admin database, ready for the orchestrator or for `createTestDatabase`. */
  readonly databaseUrl: string;
  /** Comma-separated `host:port` list, as `KAFKA_BROKERS` takes it. */
  readonly kafkaBrokers: string;
  /** Lines saying what was started where (or which given servers are used). */
  readonly description: string[];
  /** Stops what this stack started, and only that. */
  stop(): Promise<void>;
}

/**
 * The servers `npm start`, the tests and the benchmark run against: the ones named by
 * DATABASE_URL / KAFKA_BROKERS when set, otherwise an embedded PostgreSQL and a local Kafka broker.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const givenDatabase = options.databaseUrl ?? process.env.DATABASE_URL;
  const givenBrokers = options.kafkaBrokers ?? process.env.KAFKA_BROKERS;

  const [postgres, kafka] = await Promise.all([
    givenDatabase ? undefined : startLocalPostgres({ ...options.postgres, log }),
    givenBrokers ? undefined : startLocalKafka({ ...options.kafka, log }),
  ]);

  const databaseUrl = givenDatabase ?? postgres!.url;
  const kafkaBrokers = givenBrokers ?? kafka!.brokers.join(',');
  const description = [
    postgres
      ? `PostgreSQL (embedded) on 127.0.0.1:${postgres.port}, data in ${postgres.dataDir}`
      : `PostgreSQL (DATABASE_URL) at ${describeDatabaseUrl(databaseUrl)}`,
    kafka
      ? `Kafka (KRaft, pid ${kafka.pid}) on ${kafkaBrokers}, data and log in ${kafka.dataDir}`
      : `Kafka (KAFKA_BROKERS) at ${kafkaBrokers}`,
  ];

  return {
    databaseUrl,
    kafkaBrokers,
    description,
    stop: async () => {
      await Promise.all([kafka?.stop(), postgres?.stop()]);
    },
  };
}
