// The shape of a definition: what a saga's stored position (its stage index and step states)
// relies on. Changing it without a version bump breaks the sagas already running on that version;
// tuning (timeouts, retry policies, descriptions, input schemas) does not.
import type { SagaDefinition } from '@skald/saga';
import { stableHash } from './stable-hash';

const hashes = new WeakMap<SagaDefinition, string>();

/** The stages in order, each with its steps and what decides their compensation. */
export function definitionShape(definition: SagaDefinition): unknown {
  return definition.describe().stages.map((stage) => ({
    name: stage.name,
    kind: stage.kind,
    steps: stage.steps.map(({ name, pivot, compensatable, conditional }) => ({
      name,
      pivot,
      compensatable,
      conditional,
    })),
  }));
}

/** sha256 of the shape, stored with each saga at its start (skald.saga_instance.definition_hash). */
export function definitionHash(definition: SagaDefinition): string {
  let hash = hashes.get(definition);
  if (!hash) {
    hash = stableHash(definitionShape(definition));
    hashes.set(definition, hash);
  }
  return hash;
}
