import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';
import type { SagaDefinition } from '@skald/saga';
import type { SagaDefinitions } from '../registry/saga-definitions';

/**
 * Sets the OpenAPI example of POST /v1/sagas to a request this orchestrator accepts: the first
 * type whose newest version has a schema with `examples`, else a type without a schema with `{}`.
 * With neither, the DTO's neutral example stays.
 */
export function withStartSagaExample(
  document: OpenAPIObject,
  definitions: SagaDefinitions,
): OpenAPIObject {
  // list() is sorted by type, then version: the last one of each type is its newest
  const newest = [...new Map(definitions.list().map((d) => [d.name, d])).values()];
  const withExample = newest.find((d) => firstExample(d) !== undefined);
  const chosen = withExample ?? newest.find((d) => d.inputSchema === undefined);
  const properties = (document.components?.schemas?.StartSagaDto as SchemaObject | undefined)
    ?.properties as Record<string, SchemaObject> | undefined;
  if (!chosen || !properties) return document;
  properties.type.example = chosen.name;
  properties.input.example = withExample ? firstExample(withExample) : {};
  return document;
}

function firstExample(definition: SagaDefinition): unknown {
  const examples = definition.inputSchema?.examples;
  return Array.isArray(examples) ? examples[0] : undefined;
}
