import { Injectable } from '@nestjs/common';
import { SagaRegistry, type SagaDefinition } from '@skald/saga';
import { DefinitionMissingError, InvalidSagaInputError, UnknownSagaTypeError } from './errors';
import { InputSchemaCompiler, type InputCheck } from './input-schemas';

/** Saga type → every registered version. Filled once at boot; validated on registration. */
@Injectable()
export class SagaDefinitions {
  private readonly registry = new SagaRegistry();
  private readonly inputChecks = new Map<SagaDefinition, InputCheck>();

  constructor(definitions: readonly SagaDefinition[]) {
    const schemas = new InputSchemaCompiler();
    for (const definition of definitions) {
      this.registry.register(definition);
      const check = schemas.compile(definition);
      if (check) this.inputChecks.set(definition, check);
    }
  }

  /** The newest version, for starting new sagas. */
  latest(type: string): SagaDefinition {
    const definition = this.registry.latest(type);
    if (!definition) throw new UnknownSagaTypeError(type, this.registry.types());
    return definition;
  }

  /** Refuses an unknown type, or an input its newest version's schema rejects; no schema, any input. */
  checkInput(type: string, input: unknown): void {
    const definition = this.latest(type);
    const problems = this.inputChecks.get(definition)?.(input) ?? [];
    if (problems.length > 0) throw new InvalidSagaInputError(type, definition.version, problems);
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
