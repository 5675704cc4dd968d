import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrchestratorHarness } from '@skald/testing';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

describe('REST API: bad input gets a 4xx naming the problem, and changes nothing', () => {
  let skald: OrchestratorHarness;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/trip-sagas.ts')],
    });
  });
  after(async () => {
    await skald.stop();
  });

  const missingId = '8f1f3a2e-5b6c-4d7e-8f90-a1b2c3d4e5f6';
  const cases: {
    name: string;
    method: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
    status: number;
    message: RegExp;
  }[] = [
    {
      name: 'type missing',
      method: 'POST',
      path: '/v1/sagas',
      body: { input: {} },
      status: 400,
      message: /type must be a string/,
    },
    {
      name: 'type not a string',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 7, input: {} },
      status: 400,
      message: /type must be a string/,
    },
    {
      name: 'input missing',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip' },
      status: 400,
      message: /input must be an object/,
    },
    {
      name: 'input an array',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: [1] },
      status: 400,
      message: /input must be an object/,
    },
    {
      name: 'input a string',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: 'x' },
      status: 400,
      message: /input must be an object/,
    },
    {
      name: 'unknown field',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: {}, priority: 1 },
      status: 400,
      message: /property priority should not exist/,
    },
    {
      name: 'unknown saga type',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-cruise', input: {} },
      status: 400,
      message: /unknown saga type "book-cruise"; known types: book-stay, book-trip, slow-order/,
    },
    {
      name: 'empty idempotency key',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: {}, idempotencyKey: '' },
      status: 400,
      message: /idempotencyKey must be longer than or equal to 1 characters/,
    },
    {
      name: 'header and body keys differ',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: {}, idempotencyKey: 'a' },
      headers: { 'idempotency-key': 'b' },
      status: 400,
      message: /Idempotency-Key header and idempotencyKey in the body differ/,
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      path: '/v1/sagas',
      body: '{"type": "book-trip", ',
      status: 400,
      message: /request body is not valid JSON/,
    },
    {
      name: 'U+0000 in an input string (jsonb cannot store it)',
      method: 'POST',
      path: '/v1/sagas',
      body: '{"type": "book-trip", "input": {"customer": "a\\u0000b"}}',
      status: 400,
      message: /request body has a string PostgreSQL cannot store .* at key "customer"/,
    },
    {
      name: 'a lone surrogate in an input key',
      method: 'POST',
      path: '/v1/sagas',
      body: '{"type": "book-trip", "input": {"\\ud800": 1}}',
      status: 400,
      message: /request body has a string PostgreSQL cannot store .* at key "\\\\ud800"/,
    },
    {
      name: 'U+0000 in a 2PC payload',
      method: 'POST',
      path: '/v1/transactions',
      body: '{"participants": [{"participant": "bank-a", "command": "debit", "payload": {"memo": "\\u0000"}}]}',
      status: 400,
      message: /request body has a string PostgreSQL cannot store/,
    },
    {
      name: 'oversized body',
      method: 'POST',
      path: '/v1/sagas',
      body: { type: 'book-trip', input: { blob: 'x'.repeat(1_100_000) } },
      status: 413,
      message: /request body is larger than the limit of 1048576 bytes/,
    },
    {
      name: 'non-UUID id',
      method: 'GET',
      path: '/v1/sagas/not-a-uuid',
      status: 400,
      message: /id must be a UUID/,
    },
    {
      name: 'unknown id',
      method: 'GET',
      path: `/v1/sagas/${missingId}`,
      status: 404,
      message: new RegExp(`saga ${missingId} does not exist`),
    },
    {
      name: 'history of unknown id',
      method: 'GET',
      path: `/v1/sagas/${missingId}/history`,
      status: 404,
      message: /does not exist/,
    },
    {
      name: 'negative limit',
      method: 'GET',
      path: '/v1/sagas?limit=-1',
      status: 400,
      message: /limit must not be less than 1/,
    },
    {
      name: 'limit not a number',
      method: 'GET',
      path: '/v1/sagas?limit=ten',
      status: 400,
      message: /limit must be an integer number/,
    },
    {
      name: 'limit too large',
      method: 'GET',
      path: '/v1/sagas?limit=100000',
      status: 400,
      message: /limit must not be greater than 500/,
    },
    {
      name: 'unknown status filter',
      method: 'GET',
      path: '/v1/sagas?status=sleeping',
      status: 400,
      message:
        /status must be one of the following values: running, paused, compensating, completed, compensated, failed/,
    },
    {
      name: 'a createdBefore that is not a date-time',
      method: 'GET',
      path: '/v1/sagas?createdBefore=yesterday',
      status: 400,
      message: /createdBefore must be an ISO 8601 date-time/,
    },
    {
      name: 'unknown waitReason filter',
      method: 'GET',
      path: '/v1/sagas?waitReason=lunch',
      status: 400,
      message: /waitReason must be one of paused, definition-missing/,
    },
    {
      name: 'forged cursor',
      method: 'GET',
      path: '/v1/sagas?cursor=Zm9yZ2Vk',
      status: 400,
      message: /cursor is not one this API returned/,
    },
    {
      name: 'unknown query field',
      method: 'GET',
      path: '/v1/sagas?colour=red',
      status: 400,
      message: /property colour should not exist/,
    },
    {
      name: 'cancel unknown saga',
      method: 'POST',
      path: `/v1/sagas/${missingId}/cancel`,
      body: {},
      status: 404,
      message: /does not exist/,
    },
    {
      name: 'cancel with a non-string reason',
      method: 'POST',
      path: `/v1/sagas/${missingId}/cancel`,
      body: { reason: 5 },
      status: 400,
      message: /reason must be a string/,
    },
    {
      name: 'retry a non-UUID',
      method: 'POST',
      path: '/v1/sagas/123/retry',
      status: 400,
      message: /id must be a UUID/,
    },
    {
      name: 'skip without a reason',
      method: 'POST',
      path: `/v1/sagas/${missingId}/steps/reserve-car/skip-compensation`,
      body: {},
      status: 400,
      message: /reason must be a string/,
    },
  ];

  for (const c of cases) {
    it(`${c.method} ${c.path.slice(0, 60)} — ${c.name} → ${c.status}`, async () => {
      const res = await skald.request<ErrorBody>(c.method, c.path, c.body, c.headers);
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      assert.equal(res.body.statusCode, c.status);
      assert.equal(typeof res.body.error, 'string');
      assert.match(res.body.message, c.message);
    });
  }

  it('started no saga while rejecting all of that', async () => {
    const list = await skald.request<{ items: unknown[] }>('GET', '/v1/sagas');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items, []);
  });

  it('makes starts idempotent: same key + same request → 200 same saga; other request → 409', async () => {
    const body = { type: 'book-trip', input: { customer: 'ivan' } };
    const first = await skald.request<{ id: string }>('POST', '/v1/sagas', body, {
      'idempotency-key': 'trip-ivan',
    });
    assert.equal(first.status, 201);
    const again = await skald.request<{ id: string }>('POST', '/v1/sagas', {
      ...body,
      idempotencyKey: 'trip-ivan',
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const other = await skald.request<ErrorBody>(
      'POST',
      '/v1/sagas',
      { type: 'book-trip', input: { customer: 'judy' } },
      {
        'idempotency-key': 'trip-ivan',
      },
    );
    assert.equal(other.status, 409);
    assert.match(
      other.body.message,
      /idempotency key "trip-ivan" was already used for a different request/,
    );
  });

  it('pages the list newest first with a cursor', async () => {
    for (const customer of ['k1', 'k2', 'k3']) await skald.startSaga('slow-order', { customer });
    const page1 = await skald.request<{
      items: { input: { customer: string } }[];
      nextCursor: string;
    }>('GET', '/v1/sagas?type=slow-order&limit=2');
    assert.deepEqual(
      page1.body.items.map((s) => s.input.customer),
      ['k3', 'k2'],
    );
    const page2 = await skald.request<{
      items: { input: { customer: string } }[];
      nextCursor: string | null;
    }>('GET', `/v1/sagas?type=slow-order&limit=2&cursor=${page1.body.nextCursor}`);
    assert.deepEqual(
      page2.body.items.map((s) => s.input.customer),
      ['k1'],
    );
    assert.equal(page2.body.nextCursor, null);
  });
});
