import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import {
  createTestDatabase,
  OrchestratorHarness,
  spawnOrchestrator,
  waitForHttp,
  type SagaResource,
} from '@skald/testing';
import { tripInputSchema } from '../../../demo/src/sagas/trip-input.schema';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

const bookTrip = join(__dirname, '../../../demo/src/sagas/book-trip.ts');
const fixtures = join(__dirname, '../fixtures');

describe('input schemas: a bad input is refused at the door, naming each bad field', () => {
  let skald: OrchestratorHarness;

  before(async () => {
    // the demo's book-trip has a schema; `versioned` has none
    skald = await OrchestratorHarness.start({
      sagas: [bookTrip, join(fixtures, 'versioned-v1.ts')],
    });
  });
  after(async () => {
    await skald.stop();
  });

  const good = {
    customer: 'ada',
    car: { model: 'compact' },
    hotel: { city: 'Lisbon', nights: 3 },
    flight: { to: 'Oslo' },
    amount: 900,
  };

  it('answers 400 naming each bad field, starts nothing and leaves the idempotency key unused', async () => {
    const missing = await skald.request<ErrorBody>('POST', '/v1/sagas', {
      type: 'book-trip',
      input: { customer: 'alice', amount: 120 },
    });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(
      missing.body.message,
      'input of saga type "book-trip" is invalid: input must have required property "car"; ' +
        'input must have required property "hotel"; input must have required property "flight"',
    );

    const wrong = await skald.request<ErrorBody>(
      'POST',
      '/v1/sagas',
      {
        type: 'book-trip',
        input: { ...good, car: { model: 7 }, hotel: { city: 'Lisbon', nights: 0 }, vip: true },
      },
      { 'idempotency-key': 'trip-ada' },
    );
    assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
    assert.equal(wrong.body.error, 'Bad Request');
    for (const problem of [
      'input must not have property "vip"',
      'input.car.model must be string',
      'input.hotel.nights must be >= 1',
    ])
      assert.ok(wrong.body.message.includes(problem), `${problem} in: ${wrong.body.message}`);

    const list = await skald.request<{ items: unknown[] }>('GET', '/v1/sagas?type=book-trip');
    assert.deepEqual(list.body.items, [], 'no saga was created');

    const started = await skald.request<SagaResource>(
      'POST',
      '/v1/sagas',
      { type: 'book-trip', input: good },
      { 'idempotency-key': 'trip-ada' },
    );
    assert.equal(started.status, 201, 'the key was not taken by the refused request');
  });

  it('still accepts any JSON object for a saga without a schema', async () => {
    const res = await skald.request('POST', '/v1/sagas', {
      type: 'versioned',
      input: { anything: [1, 'two'] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  it('shows the input schema of each version in GET /v1/saga-types', async () => {
    const types = await skald.request<{
      items: { name: string; version: number; inputSchema?: unknown }[];
    }>('GET', '/v1/saga-types');
    assert.equal(types.status, 200);
    const byName = new Map(types.body.items.map((t) => [`${t.name} v${t.version}`, t]));
    assert.deepEqual(byName.get('book-trip v1')?.inputSchema, tripInputSchema);
    assert.ok(byName.has('versioned v1'));
    assert.equal(byName.get('versioned v1')?.inputSchema, undefined);
  });

  it('offers in the OpenAPI document an example request that is valid and starts a saga', async () => {
    const doc = await skald.request<{
      components: {
        schemas: Record<string, { properties: Record<string, { example?: unknown }> }>;
      };
    }>('GET', '/docs-json');
    assert.equal(doc.status, 200);
    const { type, input } = doc.body.components.schemas.StartSagaDto.properties;
    assert.equal(type.example, 'book-trip');
    const validate = new Ajv2020({ allErrors: true }).compile(tripInputSchema);
    assert.ok(validate(input.example), JSON.stringify(validate.errors));

    const res = await skald.request<SagaResource>('POST', '/v1/sagas', {
      type: type.example,
      input: input.example,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.input, input.example);
  });
});

describe('input schemas: registration', () => {
  it('refuses to start with an invalid schema, naming the saga and version', async () => {
    const db = await createTestDatabase();
    try {
      const orchestrator = await spawnOrchestrator({
        DATABASE_URL: db.url,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        SKALD_SAGAS: join(fixtures, 'bad-input-schema.ts'),
      });
      const serving = waitForHttp(`${orchestrator.url}/health`, { process: orchestrator }).then(
        () => 'serving',
        () => 'exited',
      );
      const outcome = await Promise.race([orchestrator.exited(), serving]);
      if (outcome === 'serving') await orchestrator.stop();
      assert.equal(outcome, 2, orchestrator.output());
      assert.match(
        orchestrator.output(),
        /skald: saga "bad-schema" v3: the input schema is not valid JSON Schema \(draft 2020-12\): schema\/properties\/customer\/type must be/,
      );
      assert.doesNotMatch(orchestrator.output(), /\n\s+at /, 'no stack trace');
    } finally {
      await db.drop();
    }
  });
});
