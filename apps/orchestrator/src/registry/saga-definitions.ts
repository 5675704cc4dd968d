import { Injectable } from '@nestjs/common';
import { SagaRegistry, type SagaDefinition } from '@skald/saga';
import { DefinitionMissingError, UnknownSagaTypeError } from '../engine/errors';

/** Token of the definitions a SkaldModule was given. */
export const SAGA_DEFINITIONS = Symbol('SAGA_DEFINITIONS');

/** Saga type → every registered version. Filled once at boot; validated on registration. */
@Injectable()
export class SagaDefinitions {
  private readonly registry = new SagaRegistry();

  constructor(definitions: readonly SagaDefinition[]) {
    for (const definition of definitions) this.registry.register(definition);
  }

  /** The newest version, for starting new sagas. */
  latest(type: string): SagaDefinition {
    const definition = this.registry.latest(type);
    if (!definition) throw new UnknownSagaTypeError(type, this.registry.types());
    return definition;
  }

  /** The exact version a running saga started on. */
  get(type: string, version: number): SagaDefinition {
    const definition = this.registry.get(type, version);
    if (!definition) throw new DefinitionMissingError(type, version);
    return definition;
  }

  list(): SagaDefinition[] {
    return this.registry.list();
  }
}
