// The ONLY place that constructs kafkajs clients; everything else receives them from here.
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';

export const KAFKA = Symbol('KAFKA');

export interface KafkaModuleOptions {
  brokers: readonly string[];
  clientId: string;
}

const kafkaLogger = new Logger('kafkajs');
function logEntry({ namespace, level, log }: LogEntry): void {
  // kafkajs repeats timestamp, logger name and a full stack on every line; keep the facts only
  const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log;
  const line = `${namespace}: ${message} ${JSON.stringify(extra)}`;
  if (level === logLevel.ERROR) kafkaLogger.error(line);
  else if (level === logLevel.WARN) kafkaLogger.warn(line);
  else kafkaLogger.debug(line);
}

/** Owns a long-lived admin client for health checks; reconnects after a broker outage. */
@Injectable()
export class KafkaAdmin implements OnApplicationShutdown {
  private admin: Admin | undefined;

  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  /** Asks the cluster for its brokers; throws when none answers. */
  async describeCluster(): Promise<{ brokers: number; controller: number | null }> {
    this.admin ??= this.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
    try {
      await this.admin.connect();
      const cluster = await this.admin.describeCluster();
      return { brokers: cluster.brokers.length, controller: cluster.controller };
    } catch (error) {
      // a fresh client next time: kafkajs keeps stale broker connections after an outage
      const stale = this.admin;
      this.admin = undefined;
      await stale.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect();
  }
}

@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        {
          provide: KAFKA,
          useFactory: () =>
            new Kafka({
              clientId: options.clientId,
              brokers: [...options.brokers],
              connectionTimeout: 3_000,
              requestTimeout: 10_000,
              logLevel: logLevel.WARN,
              logCreator: () => logEntry,
            }),
        },
        KafkaAdmin,
      ],
      exports: [KAFKA, KafkaAdmin],
    };
  }
}
