import { describeDatabaseUrl } from '@skald/persistence';
import { isPortFree } from './free-port';
import { startLocalKafka, type LocalKafkaOptions } from './local-kafka';
import { startLocalPostgres, type LocalPostgresOptions } from './local-postgres';

export interface LocalStackOptions {
  /** Use this PostgreSQL instead of starting one. @default process.env.DATABASE_URL */
  databaseUrl?: string;
  /** Use these brokers instead of starting one. @default process.env.KAFKA_BROKERS */
  kafkaBrokers?: string;
  postgres?: Omit<LocalPostgresOptions, 'log'>;
  kafka?: Omit<LocalKafkaOptions, 'log'>;
  /**
   * Ports the servers take while they are free (else free ones), so that the URLs stay the same
   * run after run; `npm start` and `npm run stack` use STABLE_PORTS. @default free ports
   */
  preferredPorts?: { postgres: number; kafka: number };
  log?: (line: string) => void;
}

/** The ports `npm start` and `npm run stack` prefer. */
export const STABLE_PORTS = { postgres: 54329, kafka: 19092 };

export interface LocalStack {
  /** `postgres://…` of the admin database, ready for the orchestrator or for `createTestDatabase`. */
  readonly databaseUrl: string;
  /** Comma-separated `host:port` list, as `KAFKA_BROKERS` takes it. */
  readonly kafkaBrokers: string;
  /** Lines saying what was started where (or which given servers are used). */
  readonly description: string[];
  /** `export DATABASE_URL=…` and `export KAFKA_BROKERS=…`, for a shell (a participant of yours). */
  readonly exports: string[];
  /** Stops what this stack started, and only that. */
  stop(): Promise<void>;
}

/**
 * The servers `npm start`, the tests and the benchmark run against: the ones named by
 * DATABASE_URL / KAFKA_BROKERS when set, otherwise an embedded PostgreSQL and a local Kafka broker.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  // an empty variable (`DATABASE_URL= npm run stack`) means unset
  const givenDatabase = options.databaseUrl || process.env.DATABASE_URL || undefined;
  const givenBrokers = options.kafkaBrokers || process.env.KAFKA_BROKERS || undefined;
  const preferred = options.preferredPorts;

  const [postgres, kafka] = await Promise.all([
    givenDatabase
      ? undefined
      : onPreferredPort(preferred?.postgres, options.postgres?.port, (port) =>
          startLocalPostgres({ ...options.postgres, port, log }),
        ),
    givenBrokers
      ? undefined
      : onPreferredPort(preferred?.kafka, options.kafka?.port, (port) =>
          startLocalKafka({ ...options.kafka, port, log }),
        ),
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
    exports: [
      `export DATABASE_URL=${shellWord(databaseUrl)}`,
      `export KAFKA_BROKERS=${shellWord(kafkaBrokers)}`,
    ],
    stop: async () => {
      await Promise.all([kafka?.stop(), postgres?.stop()]);
    },
  };
}

/** Quoted for a POSIX shell when it has to be (a URL with `?` or `&`, say). */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts a server on `preferred` while it is free (an explicit `port` wins), else on a free port;
 * also when another process takes `preferred` between the check and the server's bind.
 */
async function onPreferredPort<T>(
  preferred: number | undefined,
  explicit: number | undefined,
  start: (port: number | undefined) => Promise<T>,
): Promise<T> {
  if (explicit !== undefined || preferred === undefined || !(await isPortFree(preferred)))
    return start(explicit);
  try {
    return await start(preferred);
  } catch (error) {
    if (!/already in use/i.test(String(error))) throw error;
    return start(undefined);
  }
}
