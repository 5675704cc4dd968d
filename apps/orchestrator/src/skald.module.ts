// Composition root: the only file that imports every feature module. Users import SkaldModule
// into their own Nest app with their definitions; the stock app (main.ts) does the same.
import { Module, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  dataSourceOptions,
  LeaseStore,
  SagaQueries,
  SagaStore,
  TwoPhaseStore,
} from '@skald/persistence';
import type { SagaDefinition } from '@skald/saga';
import { ErrorFilter } from './api/error.filter';
import { ParticipantsController } from './api/participants.controller';
import { SagaTypesController } from './api/saga-types.controller';
import { SagaViews } from './api/saga-views';
import { SagasController } from './api/sagas.controller';
import { TransactionsController } from './api/transactions.controller';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from './config/orchestrator-config.token';
import { OutboxSignal } from './engine/outbox-signal';
import { SagaEngine } from './engine/saga-engine.service';
import { SagaWriter } from './engine/saga-writer';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from './faults/fault-points';
import { HealthController } from './health/health.controller';
import { Housekeeper } from './housekeeping/housekeeper.service';
import { KafkaModule } from './kafka/kafka.module';
import { createPinoLogger, PinoLogger } from './logging/pino-logger';
import { MetricsModule } from './metrics/metrics.module';
import { CommandTopics } from './outbox/command-topics.service';
import { OutboxRelay } from './outbox/outbox-relay.service';
import { TopicHolds } from './outbox/topic-holds';
import { SagaDefinitions } from './registry/saga-definitions';
import { FailFast } from './resilience/fail-fast';
import { FLOW_CONTROL_OPTIONS } from './resilience/flow-control.token';
import { ParticipantBreakers } from './resilience/participant-breakers.service';
import { ParticipantGauges } from './resilience/participant-gauges';
import { ReplyConsumer } from './replies/reply-consumer.service';
import { TimerPoller } from './timers/timer-poller.service';
import { TwoPhaseCoordinator } from './two-phase/two-phase-coordinator.service';

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
        TypeOrmModule.forRoot({
          ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.dbPoolSize }),
          // migrations run before the app is built (main.ts), under an advisory lock
          migrationsRun: false,
          retryAttempts: 2,
          retryDelay: 1_000,
        }),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        KafkaModule.forRoot({
          brokers: config.kafkaBrokers,
          clientId: `skald-${config.instanceId}`,
          logLevel: config.logLevel,
        }),
        MetricsModule,
      ],
      controllers: [
        HealthController,
        SagasController,
        SagaTypesController,
        ParticipantsController,
        TransactionsController,
      ],
      providers: [
        { provide: ORCHESTRATOR_CONFIG, useValue: config },
        { provide: FLOW_CONTROL_OPTIONS, useValue: config.flowControl },
        { provide: ORCHESTRATOR_FAULTS, useValue: faults },
        // the app's logger (configureSkaldApp installs it)
        {
          provide: PinoLogger,
          useValue: createPinoLogger({ level: config.logLevel, name: config.instanceId }),
        },
        // built here, not by the injector: a bad definition fails forRoot() with its own message
        { provide: SagaDefinitions, useValue: new SagaDefinitions(sagas) },
        {
          provide: SagaStore,
          useFactory: (ds: DataSource) => new SagaStore(ds, `${config.instanceId}/${process.pid}`),
          inject: [DataSource],
        },
        {
          provide: SagaQueries,
          useFactory: (ds: DataSource) => new SagaQueries(ds),
          inject: [DataSource],
        },
        {
          provide: LeaseStore,
          useFactory: (ds: DataSource) => new LeaseStore(ds),
          inject: [DataSource],
        },
        // 2PC coordinator (issue #6)
        {
          provide: TwoPhaseStore,
          useFactory: (ds: DataSource) => new TwoPhaseStore(ds),
          inject: [DataSource],
        },
        TwoPhaseCoordinator,
        OutboxSignal,
        ParticipantBreakers,
        ParticipantGauges,
        FailFast,
        SagaWriter,
        SagaEngine,
        SagaViews,
        TopicHolds,
        OutboxRelay,
        CommandTopics,
        TimerPoller,
        ReplyConsumer,
        Housekeeper,
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            stopAtFirstError: false,
          }),
        },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
