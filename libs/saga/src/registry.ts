import type { SagaDefinition } from './define-saga';
import { SagaDefinitionError } from './errors';

/** Saga type → every registered version. */
export class SagaRegistry {
  private readonly byType = new Map<string, Map<number, SagaDefinition>>();

  register(definition: SagaDefinition): void {
    const versions = this.byType.get(definition.name) ?? new Map<number, SagaDefinition>();
    const existing = versions.get(definition.version);
    if (existing && existing !== definition) {
      throw new SagaDefinitionError(
        `saga ${JSON.stringify(definition.name)} v${definition.version} is registered twice with different definitions; bump the version of the newer one`,
      );
    }
    versions.set(definition.version, definition);
    this.byType.set(definition.name, versions);
  }

  get(type: string, version: number): SagaDefinition | undefined {
    return this.byType.get(type)?.get(version);
  }

  latest(type: string): SagaDefinition | undefined {
    const versions = this.byType.get(type);
    if (!versions) return undefined;
    return versions.get(Math.max(...versions.keys()));
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  list(): SagaDefinition[] {
    return this.types().flatMap((t) =>
      [...this.byType.get(t)!.values()].sort((a, b) => a.version - b.version),
    );
  }
}
