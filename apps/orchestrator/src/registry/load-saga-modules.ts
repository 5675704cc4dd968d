import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SkaldError } from '@skald/protocol';
import { isSagaDefinition, type SagaDefinition } from '@skald/saga';

/** A module named in SKALD_SAGAS cannot be loaded or has no saga definition. */
export class SagaModuleError extends SkaldError {
  readonly code = 'SAGA_MODULE';
  readonly retryable = false;
}

/**
 * Loads one module the way Node runs it, so its own imports (`@skald/saga`) resolve from the
 * module's node_modules, not the orchestrator's. require() loads CommonJS, ES modules (`.mjs`,
 * `"type": "module"`; Node >= 20.19) and, under the TypeScript loader of `npm start`, `.ts`
 * sources; an ES module with top-level await needs import().
 */
async function loadModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- user modules are only known at run time
    return require(file) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
}

/** Loads each module of SKALD_SAGAS and collects every exported saga definition. */
export async function loadSagaModules(paths: readonly string[]): Promise<SagaDefinition[]> {
  const definitions: SagaDefinition[] = [];
  for (const path of paths) {
    let exports: Record<string, unknown>;
    try {
      exports = await loadModule(path);
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
