import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ErrorBodyDto } from './api/dto/error-body.dto';
import { ErrorFilter } from './api/error.filter';
import { refuseUnstorableStrings } from './api/json-body';
import { API_ACCESS, authorizeRequest, BEARER_SCHEME } from './auth/api-key.guard';
import type { ApiAccess } from './auth/api-keys';
import { PinoLogger } from './logging/pino-logger';
import { withStartSagaExample } from './api/start-saga-example';
import type { CompiledOrchestratorConfig } from './config/orchestrator-config';
import { SagaDefinitions } from './registry/saga-definitions';

/** Where SwaggerModule serves the UI and the document: express routes, outside Nest's guards. */
const DOCS_PATHS = ['/docs', '/docs-json', '/docs-yaml'];

/**
 * App-level settings SkaldModule cannot set from inside a module: JSON logs (also of failed
 * requests; the logger is returned for your own lines), the body size limit
 * (create the app with `{ bodyParser: false }`), form bodies for the console's sign-in and actions, and the OpenAPI document at /docs and /docs-json,
 * which need a `read` key as /metrics does (unless SKALD_PUBLIC_METRICS_AND_DOCS).
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
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false });
  const access = app.get<ApiAccess>(API_ACCESS);
  if (!access.publicMetricsAndDocs) {
    const errors = new ErrorFilter();
    app.use(DOCS_PATHS, (req: Request, res: Response, next: NextFunction) => {
      try {
        authorizeRequest(access, req, res, 'read');
      } catch (error) {
        errors.send(res, error);
        return;
      }
      next();
    });
  }
  SwaggerModule.setup('docs', app, () => skaldOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
  return logger;
}

/**
 * The OpenAPI document /docs-json serves: every route with its request and response schemas (the
 * error body too), the bearer scheme `api-key` and each route's scope as `x-skald-scope`. Needs
 * no connection: an app created with `{ preview: true }` gives the same document.
 */
export function skaldOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Skald')
    .setDescription('Durable saga orchestration over Kafka and PostgreSQL')
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key',
        description:
          'An API key of SKALD_API_KEYS, as `Authorization: Bearer <secret>`; each operation names ' +
          'the scope it needs in `x-skald-scope` (admin grants all). Without configured keys the ' +
          'API is open.',
      },
      BEARER_SCHEME,
    )
    .build();
  // ErrorBody is named by the 401 and 403 of every scoped route (auth/), whichever routes there are
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyDto] });
  return withPublicMetrics(
    withStartSagaExample(document, app.get(SagaDefinitions)),
    app.get<ApiAccess>(API_ACCESS),
  );
}

/** With SKALD_PUBLIC_METRICS_AND_DOCS, /metrics needs no key: its operation says so. */
function withPublicMetrics(document: OpenAPIObject, access: ApiAccess): OpenAPIObject {
  const scrape = document.paths['/metrics']?.get;
  if (access.publicMetricsAndDocs && scrape) scrape.security = [];
  return document;
}
