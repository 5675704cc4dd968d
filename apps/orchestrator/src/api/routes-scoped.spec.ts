// The guard checks only routes that name a scope, so a Skald route without one would be open:
// every handler of every Skald controller but /health must name one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { SCOPE_METADATA } from '../auth/api-key.guard';
import { HealthController } from '../health/health.controller';
import { MetricsController } from '../metrics/metrics.module';
import { ParticipantsController } from './participants.controller';
import { SagaTypesController } from './saga-types.controller';
import { SagasController } from './sagas.controller';
import { TransactionsController } from './transactions.controller';

const routesOf = (controller: { prototype: object }) =>
  Object.getOwnPropertyNames(controller.prototype)
    .map((name) => (controller.prototype as Record<string, unknown>)[name])
    .filter(
      (handler): handler is object =>
        typeof handler === 'function' &&
        Reflect.getMetadata(METHOD_METADATA, handler) !== undefined,
    );

describe('Skald routes and their scopes', () => {
  it('names the scope of every route but /health', () => {
    const unscoped: string[] = [];
    const controllers = [
      SagasController,
      TransactionsController,
      SagaTypesController,
      ParticipantsController,
      MetricsController,
    ];
    for (const controller of controllers)
      for (const handler of routesOf(controller))
        if (!Reflect.getMetadata(SCOPE_METADATA, handler))
          unscoped.push(`${controller.name}.${(handler as { name: string }).name}`);
    assert.deepEqual(unscoped, []);
    assert.equal(routesOf(SagasController).length, 10);
    const health = routesOf(HealthController);
    assert.equal(health.length, 1);
    assert.equal(Reflect.getMetadata(SCOPE_METADATA, health[0]), undefined, '/health is open');
    assert.equal(Reflect.getMetadata(PATH_METADATA, HealthController), 'health');
  });
});
