// The ONLY place that constructs kafkajs clients; everything else receives them from here.
import { Module, type DynamicModule } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { fixKafkajsIdleTimers } from '@skald/protocol';
import { KafkaAdmin } from './kafka-admin';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaSubscriptions } from './kafka-subscriptions';
import type { LogLevel } from '../config/orchestrator-config';
import { KAFKA, logEntry } from './kafka.tokens';

export interface KafkaModuleOptions {
  brokers: readonly string[];
  clientId: string;
  /** The app's LOG_LEVEL: kafkajs logs only what the app's logger would print. */
  logLevel: LogLevel;
}

/** kafkajs' level for the app's: its debug entries only when the app logs debug. */
function kafkaLogLevel(level: LogLevel): logLevel {
  if (level === 'debug' || level === 'trace') return logLevel.DEBUG;
  return level === 'error' || level === 'fatal' ? logLevel.ERROR : logLevel.WARN;
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
          useFactory: () => {
            fixKafkajsIdleTimers();
            return new Kafka({
              clientId: options.clientId,
              brokers: [...options.brokers],
              connectionTimeout: 3_000,
              requestTimeout: 10_000,
              logLevel: kafkaLogLevel(options.logLevel),
              logCreator: () => logEntry,
            });
          },
        },
        KafkaAdmin,
        KafkaPublisher,
        KafkaSubscriptions,
      ],
      exports: [KafkaAdmin, KafkaPublisher, KafkaSubscriptions],
    };
  }
}
