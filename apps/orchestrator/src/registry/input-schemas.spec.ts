import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga, SagaDefinitionError, type JsonSchema } from '@skald/saga';
import { InputSchemaCompiler } from './input-schemas';

const saga = (schema?: JsonSchema, version = 1) =>
  defineSaga('trip', { version })
    .input(schema)
    .step('car', { invoke: () => command('cars', 'reserve') })
    .build();

const trip: JsonSchema = {
  type: 'object',
  required: ['customer', 'car', 'hotel'],
  additionalProperties: false,
  properties: {
    customer: { type: 'string' },
    car: { type: 'object', properties: { model: { type: 'string' } } },
    hotel: { type: 'object' },
    class: { enum: ['economy', 'business'] },
    currency: { const: 'EUR' },
    legs: {
      type: 'array',
      items: { type: 'object', properties: { 'to city': { type: 'string' } } },
    },
  },
};

describe('InputSchemaCompiler', () => {
  it('accepts any input for a definition without a schema', () => {
    assert.equal(new InputSchemaCompiler().compile(saga()), undefined);
  });

  it('names every bad field, as JavaScript would write its path', () => {
    const check = new InputSchemaCompiler().compile(saga(trip))!;
    assert.deepEqual(check({ customer: 'ada', car: {}, hotel: {} }), []);
    assert.deepEqual(
      check({
        car: { model: 7 },
        class: 'first',
        currency: 'USD',
        legs: [{ 'to city': 'Oslo' }, { 'to city': 1 }],
        extra: true,
      }),
      [
        'input must have required property "customer"',
        'input must have required property "hotel"',
        'input must not have property "extra"',
        'input.car.model must be string',
        'input.class must be one of "economy", "business"',
        'input.currency must be "EUR"',
        'input.legs[1]["to city"] must be string',
      ],
    );
    assert.deepEqual(check([]), ['input must be object']);
  });

  it('names properties that unevaluatedProperties refuses', () => {
    const check = new InputSchemaCompiler().compile(
      saga({ type: 'object', properties: { a: { type: 'number' } }, unevaluatedProperties: false }),
    )!;
    assert.deepEqual(check({ a: 1, b: 2 }), ['input must not have property "b"']);
  });

  const refusals: [string, JsonSchema, RegExp][] = [
    [
      'a schema breaking the meta-schema',
      { type: 'object', properties: { customer: { type: 'strin' } } },
      /saga "trip" v2: the input schema is not valid JSON Schema \(draft 2020-12\): schema\/properties\/customer\/type must be/,
    ],
    [
      'an unknown keyword (a typo)',
      { type: 'object', require: ['customer'] },
      /saga "trip" v2: .*unknown keyword: "require"/,
    ],
    [
      'an unresolvable $ref',
      { type: 'object', properties: { car: { $ref: '#/$defs/car' } } },
      /saga "trip" v2: .*can't resolve reference #\/\$defs\/car/,
    ],
    [
      'another draft',
      { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
      /saga "trip" v2: the input schema declares \$schema "http:\/\/json-schema.org\/draft-07\/schema#"; inputs are checked with JSON Schema draft 2020-12/,
    ],
    ['an async schema', { $async: true, type: 'object' }, /saga "trip" v2: .*async/],
    [
      'an example the schema rejects',
      { ...trip, examples: [{ customer: 'ada', car: {}, hotel: {} }, { customer: 'bo' }] },
      /saga "trip" v2: examples\[1\] of the input schema does not match it: input must have required property "car"/,
    ],
  ];
  for (const [name, schema, message] of refusals) {
    it(`refuses ${name}, naming the saga and version`, () => {
      assert.throws(
        () => new InputSchemaCompiler().compile(saga(schema, 2)),
        (e: unknown) => e instanceof SagaDefinitionError && message.test(e.message),
      );
    });
  }

  it('accepts a schema declaring draft 2020-12', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' };
    assert.deepEqual(new InputSchemaCompiler().compile(saga(schema))!({}), []);
  });

  it('keeps schemas of different versions apart even when they share an $id', () => {
    const compiler = new InputSchemaCompiler();
    const v1 = compiler.compile(saga({ $id: 'https://example.com/trip', type: 'string' }, 1))!;
    const v2 = compiler.compile(saga({ $id: 'https://example.com/trip', type: 'object' }, 2))!;
    assert.deepEqual(v1('x'), []);
    assert.deepEqual(v2({}), []);
  });
});
