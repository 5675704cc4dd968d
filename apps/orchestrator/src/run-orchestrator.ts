// The orchestrator process: validate configuration, check the database, migrate, start the Nest
// app, exit cleanly on SIGTERM. main.ts runs it as it is; crash tests run it with a fault hook.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  assertDatabaseReachable,
  DatabaseUnreachableError,
  runMigrations,
} from '@skald/persistence';
import { KafkaAuthenticationError } from '@skald/protocol';
import { SagaDefinitionError } from '@skald/saga';
import { ConfigError, loadOrchestratorConfig } from './config/orchestrator-config';
import { configureSkaldApp } from './configure-app';
import { BreakingDefinitionsError } from './definitions/errors';
import { loadSagaModules, SagaModuleError } from './registry/load-saga-modules';
import { SkaldModule, type SkaldModuleOptions } from './skald.module';
import { startTracingFromEnv } from './tracing/start-tracing';

/** How long a SIGTERM may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 20_000;

async function bootstrap({ faults }: RunOptions): Promise<void> {
  // before the app is built: every span it starts goes to the registered provider
  const stopTracing = await startTracingFromEnv(process.env);
  const config = loadOrchestratorConfig(process.env);
  const sagas = await loadSagaModules(config.sagaModules);
  // before any server is reached: a bad definition is a deploy error, whatever the database says
  const rootModule = SkaldModule.forRoot({ config, sagas, faults });
  await assertDatabaseReachable(config.databaseUrl);
  if (config.runMigrations) await runMigrations({ url: config.databaseUrl });

  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bufferLogs: true,
    bodyParser: false,
  });
  const logger = configureSkaldApp(app, config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: finishing in-flight work, then exiting`);
      setTimeout(() => {
        logger.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting anyway`);
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
      // app.close(): stop consuming, drain the relay, run every shutdown hook, close the pools
      app.close().then(
        // the last spans (of the shutdown's own work too) are exported before the exit
        async () => {
          await stopTracing?.().catch((error: unknown) => logger.warn(`trace export: ${error}`));
          process.exit(0);
        },
        (error: unknown) => {
          logger.error(error, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  await app.listen(config.port).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new ConfigError([`PORT ${config.port} is in use; choose a free port with PORT`]);
  });
  logger.log(
    `Skald orchestrator ${config.instanceId} listening on http://localhost:${config.port} ` +
      `with saga types: ${[...new Set(sagas.map((s) => `${s.name} v${s.version}`))].join(', ') || '(none)'}`,
  );
}

export type RunOptions = Pick<SkaldModuleOptions, 'faults'>;

/** Runs the orchestrator configured by the environment until a signal stops it. */
export function runOrchestrator(options: RunOptions = {}): void {
  bootstrap(options).catch(exitOnStartupFailure);
}

function exitOnStartupFailure(error: unknown): never {
  // start-up failures a person must fix: one clear message each, no stack trace
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof KafkaAuthenticationError ||
    error instanceof SagaModuleError ||
    error instanceof SagaDefinitionError ||
    error instanceof BreakingDefinitionsError
  ) {
    process.stderr.write(`skald: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `skald: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
