// The ONLY place that constructs kafkajs clients; everything else receives them from here.
import { Module, type DynamicModule } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { fixKafkajsIdleTimers, type KafkaCredentials } from '@skald/protocol';
import { KafkaAdmin } from './kafka-admin';
import { KafkaLogin } from './kafka-login';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaSubscriptions } from './kafka-subscriptions';
import type { LogLevel } from '../config/orchestrator-config';
import { KAFKA, logEntry, type KafkaClientFactory } from './kafka.tokens';

export interface KafkaModuleOptions {
  brokers: readonly string[];
  clientId: string;
  /** SASL and TLS (KAFKA_SASL_*, KAFKA_TLS_*), the same for every client. @default neither */
  credentials?: KafkaCredentials;
  /** The app's LOG_LEVEL: kafkajs logs only what the app's logger would print. */
  logLevel: LogLevel;
}

/** kafkajs' level for the app's: its debug entries only when the app logs debug. */
function kafkaLogLevel(level: LogLevel): logLevel {
  if (level === 'debug' || level === 'trace') return logLevel.DEBUG;
  return level === 'error' || level === 'fatal' ? logLevel.ERROR : logLevel.WARN;
}

/** Every client of the orchestrator: the module's brokers, credentials and logging. */
function clientFactory(options: KafkaModuleOptions): KafkaClientFactory {
  return (overrides = {}) =>
    new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ...options.credentials,
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      logLevel: kafkaLogLevel(options.logLevel),
      logCreator: () => logEntry,
      ...overrides,
    });
}

@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    const create = clientFactory(options);
    return {
      module: KafkaModule,
      global: true,
      providers: [
        {
          provide: KAFKA,
          useFactory: () => {
            fixKafkajsIdleTimers();
            return create();
          },
        },
        {
          provide: KafkaLogin,
          useFactory: () => new KafkaLogin(options.brokers, options.credentials ?? {}, create),
        },
        KafkaAdmin,
        KafkaPublisher,
        KafkaSubscriptions,
      ],
      exports: [KafkaAdmin, KafkaPublisher, KafkaSubscriptions],
    };
  }
}
