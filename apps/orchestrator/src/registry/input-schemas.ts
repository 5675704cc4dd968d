// Input schemas of saga definitions (JSON Schema draft 2020-12): compiled once when a definition
// is registered, then run on every start. The only file that knows ajv.
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { SagaDefinitionError, type SagaDefinition } from '@skald/saga';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** The problems of one input, one per bad field, e.g. `input.car.model must be string`; none when valid. */
export type InputCheck = (input: unknown) => string[];

/** Compiles the input schemas of definitions; one per SagaDefinitions, so they share ajv's caches. */
export class InputSchemaCompiler {
  private readonly ajv = new Ajv2020({
    // every bad field in one answer, not only the first
    allErrors: true,
    // an unknown keyword (a typo such as `require`) refuses the schema; a loose `type` does not
    strictTypes: false,
    strictTuples: false,
    // two versions may give different schemas the same $id: keep each one to its definition
    addUsedSchema: false,
  });

  /** Undefined for a definition without a schema; throws SagaDefinitionError naming the saga and version. */
  compile(definition: SagaDefinition): InputCheck | undefined {
    const schema = definition.inputSchema;
    if (!schema) return undefined;
    const fail = (problem: string): never => {
      throw new SagaDefinitionError(
        `saga ${JSON.stringify(definition.name)} v${definition.version}: ${problem}`,
      );
    };
    if (schema.$schema !== undefined && schema.$schema !== DRAFT_2020_12)
      fail(
        `the input schema declares $schema ${JSON.stringify(schema.$schema)}; inputs are checked with JSON Schema draft 2020-12, so declare "${DRAFT_2020_12}" or no $schema`,
      );
    // an async schema answers a promise, which would pass every input
    if (schema.$async) fail('the input schema is async ($async); use a synchronous one');
    const invalid = (reason: string): never =>
      fail(`the input schema is not valid JSON Schema (draft 2020-12): ${reason}`);
    let validate: ReturnType<Ajv2020['compile']> | undefined;
    try {
      validate = this.ajv.validateSchema(schema) ? this.ajv.compile(schema) : undefined;
    } catch (error) {
      return invalid((error as Error).message); // e.g. an unknown keyword or an unresolvable $ref
    }
    // the meta-schema's complaints, each at its place in the schema
    if (!validate) return invalid(this.ajv.errorsText(this.ajv.errors, { dataVar: 'schema' }));
    const check: InputCheck = (input) =>
      validate(input) ? [] : [...new Set((validate.errors ?? []).map(describeProblem))];
    // the OpenAPI document offers an example as the input to try: it must be one that is accepted
    const examples = schema.examples;
    if (Array.isArray(examples)) {
      for (const [i, example] of examples.entries()) {
        const problems = check(example);
        if (problems.length > 0)
          fail(`examples[${i}] of the input schema does not match it: ${problems.join('; ')}`);
      }
    }
    return check;
  }
}

function describeProblem(error: ErrorObject): string {
  const at = `input${error.instancePath.split('/').slice(1).map(pathSegment).join('')}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${at} must have required property ${JSON.stringify(params.missingProperty)}`;
    case 'additionalProperties':
      return `${at} must not have property ${JSON.stringify(params.additionalProperty)}`;
    case 'unevaluatedProperties':
      return `${at} must not have property ${JSON.stringify(params.unevaluatedProperty)}`;
    case 'enum':
      return `${at} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${at} ${error.message}`;
  }
}

/** A JSON Pointer segment (`/car`, `/0`, `/first name`) as JavaScript would write it. */
function pathSegment(raw: string): string {
  const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
  if (/^\d+$/.test(key)) return `[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`;
  return `[${JSON.stringify(key)}]`;
}
