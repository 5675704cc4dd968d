import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { refuseUnstorableStrings } from './api/json-body';
import { PinoLogger } from './logging/pino-logger';
import { withStartSagaExample } from './api/start-saga-example';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { SagaDefinitions } from './registry/saga-definitions';

/**
 * App-level settings SkaldModule cannot set from inside a module: JSON logs (also of failed
 * requests; the logger is returned for your own lines), the body size limit
 * (create the app with `{ bodyParser: false }`), and the OpenAPI document at /docs and /docs-json.
 */
export function configureSkaldApp(
  app: NestExpressApplication,
  config: CompiledOrchestratorConfig,
): PinoLogger {
  const logger = app.get(PinoLogger);
  app.useLogger(logger);
  // request logs only for failures: health probes would drown everything else
  app.use(
    logger.httpLogger((_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'silent',
    ),
  );
  app.useBodyParser('json', { limit: config.bodyLimit, reviver: refuseUnstorableStrings });
  const openApi = new DocumentBuilder()
    .setTitle('Skald')
    .setDescription('Durable saga orchestration over Kafka and PostgreSQL')
    .setVersion('1')
    .build();
  const document = () =>
    withStartSagaExample(SwaggerModule.createDocument(app, openApi), app.get(SagaDefinitions));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
  });
  return logger;
}
