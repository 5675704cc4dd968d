// Composition root: the only file that imports every feature module. Users import SkaldModule
// into their own Nest app with their definitions; the stock app (main.ts) does the same.
//
// The modules configured here with forRoot (config, registry, persistence, kafka) and metrics are
// global: what every feature reads, provided once. The feature modules import each other
// explicitly and only downwards (ORCHESTRATOR_LAYERS in eslint.config.mjs). Nest shuts modules
// down importers first: replies, timers and housekeeping stop before the outbox relay drains.
import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@skald/persistence';
import type { SagaDefinition } from '@skald/saga';
import { ApiModule } from './api/api.module';
import { BulkModule } from './bulk/bulk.module';
import { ConsoleModule } from './console/console.module';
import { OrchestratorConfigModule } from './config/config.module';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { NO_FAULTS, type OrchestratorFaults } from './faults/fault-points';
import { HealthModule } from './health/health.module';
import { HousekeepingModule } from './housekeeping/housekeeping.module';
import { KafkaModule } from './kafka/kafka.module';
import { MetricsModule } from './metrics/metrics.module';
import { OutboxModule } from './outbox/outbox.module';
import { RegistryModule } from './registry/registry.module';
import { RepliesModule } from './replies/replies.module';
import { TimersModule } from './timers/timers.module';

export interface SkaldModuleOptions {
  config: CompiledOrchestratorConfig;
  /** Every version of every saga this orchestrator runs (old versions too, while sagas still use them). */
  sagas: readonly SagaDefinition[];
  /** Crash tests only: the hook called at each fault point. @default nothing happens there */
  faults?: OrchestratorFaults;
}

@Module({})
export class SkaldModule {
  static forRoot({ config, sagas, faults = NO_FAULTS }: SkaldModuleOptions): DynamicModule {
    return {
      module: SkaldModule,
      imports: [
        OrchestratorConfigModule.forRoot(config, faults),
        RegistryModule.forRoot(sagas),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.dbPoolSize,
          notifyAs: `${config.instanceId}/${process.pid}`,
          preparedStatements: config.dbPreparedStatements,
        }),
        KafkaModule.forRoot({
          brokers: config.kafkaBrokers,
          clientId: `skald-${config.instanceId}`,
          credentials: config.kafkaCredentials,
          logLevel: config.logLevel,
        }),
        // in this order, the OpenAPI document lists /health, the API, then /metrics
        HealthModule,
        ApiModule,
        MetricsModule,
        ConsoleModule,
        OutboxModule,
        RepliesModule,
        TimersModule,
        HousekeepingModule,
        BulkModule,
      ],
    };
  }
}
