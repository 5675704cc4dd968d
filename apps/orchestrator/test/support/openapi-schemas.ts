// Checks an OpenAPI 3.0 document against itself and against real responses, with ajv: every
// operation's responses and their schemas, the examples they carry, and response bodies.
//
// Stricter than the document on purpose: an object schema that lists its properties is closed
// here (additionalProperties: false), so a response field the document does not name fails the
// check; the document itself stays open, so that adding a field is not a breaking change.
import Ajv, { type ValidateFunction } from 'ajv';
import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';

type Schema = SchemaObject | ReferenceObject;

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export interface Operation {
  method: (typeof HTTP_METHODS)[number];
  /** The path template, e.g. `/v1/sagas/{id}`. */
  path: string;
  operation: OperationObject;
}

export function operationsOf(document: OpenAPIObject): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({
      method,
      path,
      operation: item[method]!,
    })),
  );
}

/** `application/json; charset=utf-8` → `application/json`. */
export const mediaTypeOf = (contentType: string) => contentType.split(';')[0].trim();

const SCHEMAS_ID = 'skald-openapi';
const COMPONENT_REF = '#/components/schemas/';

/** `schema` with its component $refs pointing into the schemas ajv knows, and closed objects. */
function forAjv(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_REF)
        ? `${SCHEMAS_ID}#/definitions/${value.slice(COMPONENT_REF.length)}`
        : // `example` and `examples` are data, not schemas
          key === 'example' || key === 'examples'
          ? value
          : forAjv(value);
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Validators for the schemas of one document; `$ref`s to components.schemas resolve. */
export class DocumentSchemas {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<Schema, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    this.ajv.addFormat('date-time', (s: string) => ISO_DATE_TIME.test(s) && !isNaN(Date.parse(s)));
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    this.ajv.addSchema({
      $id: SCHEMAS_ID,
      definitions: forAjv(document.components?.schemas ?? {}),
    });
  }

  /** The problems of `value` against `schema`, one line each; none when it validates. */
  problems(schema: Schema, value: unknown): string[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(forAjv(schema) as object);
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
    );
  }

  resolve(schema: Schema): SchemaObject {
    if (!('$ref' in schema)) return schema;
    const name = schema.$ref.slice(COMPONENT_REF.length);
    const found = this.document.components?.schemas?.[name];
    if (!found) throw new Error(`${schema.$ref} is not in components.schemas`);
    return this.resolve(found);
  }

  /**
   * An example of `schema` built from the examples its properties carry (all of them, optional
   * ones too), or the names of the properties that carry none.
   */
  exampleOf(schema: Schema, at = ''): { example?: unknown; missing: string[] } {
    const s = this.resolve(schema);
    if (s.example !== undefined) return { example: s.example, missing: [] };
    if (s.allOf?.length === 1) return this.exampleOf(s.allOf[0], at);
    if (s.type === 'array' && s.items) {
      const item = this.exampleOf(s.items, `${at}[]`);
      return { example: [item.example], missing: item.missing };
    }
    if (s.properties) {
      const example: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const [name, property] of Object.entries(s.properties)) {
        const built = this.exampleOf(property, `${at}.${name}`);
        example[name] = built.example;
        missing.push(...built.missing);
      }
      return { example, missing };
    }
    if (s.enum?.length) return { example: s.enum[0], missing: [] };
    return { missing: [at || '(root)'] };
  }
}

/** A response of an operation, with its media types. */
export function responsesOf(operation: OperationObject): [string, ResponseObject][] {
  return Object.entries(operation.responses).map(([status, r]) => {
    if (!r || '$ref' in r) throw new Error(`response ${status} is empty or a $ref`);
    return [status, r];
  });
}

/**
 * What is wrong with the document: an operation without a 2xx schema, an error answer without
 * the ErrorBody schema, a request or response without an example, an example that does not match
 * its schema.
 */
export function documentProblems(document: OpenAPIObject): string[] {
  const schemas = new DocumentSchemas(document);
  const problems: string[] = [];
  const check = (
    where: string,
    schema: Schema,
    media: { example?: unknown; examples?: unknown },
  ) => {
    const given: [string, unknown][] =
      media.examples !== undefined
        ? Object.entries(media.examples as Record<string, { value: unknown }>).map(([name, e]) => [
            `${where} example ${name}`,
            e.value,
          ])
        : media.example !== undefined
          ? [[`${where} example`, media.example]]
          : [];
    if (given.length === 0) {
      const built = schemas.exampleOf(schema);
      if (built.missing.length)
        problems.push(`${where}: no example for ${built.missing.join(', ')}`);
      else given.push([`${where} example (from its properties)`, built.example]);
    }
    for (const [name, value] of given)
      problems.push(...schemas.problems(schema, value).map((p) => `${name}: ${p}`));
  };
  for (const { method, path, operation } of operationsOf(document)) {
    const name = `${method.toUpperCase()} ${path}`;
    const responses = responsesOf(operation);
    if (!responses.some(([status, r]) => /^2\d\d$/.test(status) && r.content))
      problems.push(`${name}: no 2xx response with a schema`);
    for (const [status, response] of responses) {
      const where = `${name} ${status}`;
      if (!response.content) {
        problems.push(`${where}: no schema`);
        continue;
      }
      for (const [media, content] of Object.entries(response.content)) {
        if (!content.schema) problems.push(`${where} ${media}: no schema`);
        else check(`${where} ${media}`, content.schema, content);
      }
      const errorBody = response.content['application/json']?.schema;
      if (
        /^4\d\d$/.test(status) &&
        !(errorBody && '$ref' in errorBody && /ErrorBody$/.test(errorBody.$ref))
      )
        problems.push(`${where}: not the ErrorBody schema`);
    }
    const body = operation.requestBody;
    if (body && !('$ref' in body))
      for (const [media, content] of Object.entries(body.content))
        if (content.schema) check(`${name} request ${media}`, content.schema, content);
  }
  return problems;
}
