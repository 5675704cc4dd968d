// The orchestrator's OpenAPI document without a database or a broker: the app created in Nest's
// preview mode (no provider is instantiated, so nothing connects) and skaldOpenApiDocument, the
// function /docs-json answers with.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadOrchestratorConfig } from '../../src/config/orchestrator-config';
import { skaldOpenApiDocument } from '../../src/configure-app';
import { loadSagaModules } from '../../src/registry/load-saga-modules';
import { SkaldModule } from '../../src/skald.module';

/** The document an orchestrator configured by `env` (SKALD_SAGAS, SKALD_API_KEYS, ...) serves at /docs-json. */
export async function inProcessOpenApiDocument(env: NodeJS.ProcessEnv): Promise<OpenAPIObject> {
  const config = loadOrchestratorConfig({
    // never reached in preview mode; required by the configuration
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    KAFKA_BROKERS: '127.0.0.1:1',
    ...env,
  });
  const definitions = await loadSagaModules(config.sagaModules);
  const app = await NestFactory.create(SkaldModule.forRoot({ config, sagas: definitions }), {
    preview: true,
    logger: false,
  });
  try {
    return skaldOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
