import { resolve } from 'node:path';
import { SkaldError } from '@skald/protocol';
import { isSagaDefinition, type SagaDefinition } from '@skald/saga';

/** A module named in SKALD_SAGAS cannot be loaded or has no saga definition. */
export class SagaModuleError extends SkaldError {
  readonly code = 'SAGA_MODULE';
  readonly retryable = false;
}

/** Requires each module of SKALD_SAGAS and collects every exported saga definition. */
export function loadSagaModules(paths: readonly string[]): SagaDefinition[] {
  const definitions: SagaDefinition[] = [];
  for (const path of paths) {
    let exports: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- user modules are only known at run time
      exports = require(resolve(path)) as Record<string, unknown>;
    } catch (error) {
      throw new SagaModuleError(`SKALD_SAGAS: cannot load ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const found = Object.values(exports).filter(isSagaDefinition);
    if (found.length === 0) {
      throw new SagaModuleError(
        `SKALD_SAGAS: ${path} exports no saga definition (export the result of defineSaga(...).build())`,
      );
    }
    definitions.push(...found);
  }
  return definitions;
}
