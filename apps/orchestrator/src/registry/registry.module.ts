// The saga definitions this orchestrator runs. Global: the composition root registers them once.
import { Module, type DynamicModule } from '@nestjs/common';
import type { SagaDefinition } from '@skald/saga';
import { SagaDefinitions } from './saga-definitions';

@Module({})
export class RegistryModule {
  static forRoot(sagas: readonly SagaDefinition[]): DynamicModule {
    return {
      module: RegistryModule,
      global: true,
      // built here, not by the injector: a bad definition fails forRoot() with its own message
      providers: [{ provide: SagaDefinitions, useValue: new SagaDefinitions(sagas) }],
      exports: [SagaDefinitions],
    };
  }
}
