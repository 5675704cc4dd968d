// Composition root: the only file that imports every feature module.
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { dataSourceOptions } from '@skald/persistence';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from './config/orchestrator-config.token';
import { HealthController } from './health/health.controller';
import { KafkaModule } from './kafka/kafka.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  static forRoot(config: CompiledOrchestratorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            name: config.instanceId,
            // request logs only for failures: health probes would drown everything else
            customLogLevel: (_req, res, error) =>
              error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'silent',
          },
        }),
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
        }),
        MetricsModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: ORCHESTRATOR_CONFIG, useValue: config }],
    };
  }
}
