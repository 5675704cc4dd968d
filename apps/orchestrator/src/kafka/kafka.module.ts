// The ONLY place that constructs kafkajs clients; everything else receives them from here.
import { Module, type DynamicModule } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from './kafka-admin';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaSubscriptions } from './kafka-subscriptions';
import { KAFKA, logEntry } from './kafka.tokens';

export interface KafkaModuleOptions {
  brokers: readonly string[];
  clientId: string;
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
        KafkaPublisher,
        KafkaSubscriptions,
      ],
      exports: [KafkaAdmin, KafkaPublisher, KafkaSubscriptions],
    };
  }
}
