// Bootstrap only: validate configuration, check the database, migrate, start the Nest app.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import {
  assertDatabaseReachable,
  DatabaseUnreachableError,
  runMigrations,
} from '@skald/persistence';
import { AppModule } from './app.module';
import { ConfigError, loadOrchestratorConfig } from './config/orchestrator-config';

/** How long a SIGTERM may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 20_000;

async function bootstrap(): Promise<void> {
  const config = loadOrchestratorConfig(process.env);
  await assertDatabaseReachable(config.databaseUrl);
  if (config.runMigrations) await runMigrations({ url: config.databaseUrl });

  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: finishing in-flight work, then exiting`);
      setTimeout(() => {
        logger.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting anyway`);
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
      // app.close(): stop accepting requests, run every module's shutdown hook, close the pools
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(error, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  const openApi = new DocumentBuilder()
    .setTitle('Skald')
    .setDescription('Durable saga orchestration over Kafka and PostgreSQL')
    .setVersion('1')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), {
    jsonDocumentUrl: 'docs-json',
  });

  await app.listen(config.port);
  logger.log(
    `Skald orchestrator ${config.instanceId} listening on http://localhost:${config.port}`,
  );
}

bootstrap().catch((error: unknown) => {
  // start-up failures a person must fix: one clear message each, no stack trace
  if (error instanceof ConfigError || error instanceof DatabaseUnreachableError) {
    process.stderr.write(`skald: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `skald: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
