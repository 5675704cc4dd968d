import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { refuseUnstorableStrings } from './api/json-body';
import { withStartSagaExample } from './api/start-saga-example';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { SagaDefinitions } from './registry/saga-definitions';

/**
 * App-level settings SkaldModule cannot set from inside a module: JSON logs, the body size limit
 * (create the app with `{ bodyParser: false }`), and the OpenAPI document at /docs and /docs-json.
 */
export function configureSkaldApp(
  app: NestExpressApplication,
  config: CompiledOrchestratorConfig,
): void {
  app.useLogger(app.get(Logger));
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
}
