// The OpenAPI document, built in-process as /docs-json serves it (no database or broker needed):
// every operation has a 2xx schema, every error its ErrorBody, every request and response an
// example that matches its schema; and a TypeScript client generated from it with
// openapi-typescript compiles under strict tsc, its types exact enough to refuse wrong values.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { OpenAPIObject } from '@nestjs/swagger';
import { repoRoot, runToEnd } from '@skald/testing';
import { inProcessOpenApiDocument } from '../support/openapi-document';
import { documentProblems } from '../support/openapi-schemas';

const ENV = {
  SKALD_SAGAS: join(__dirname, '../fixtures/openapi-sagas.ts'),
  SKALD_API_KEYS: 'ci:admin:a-secret-never-in-the-document',
};

/**
 * Uses the generated `paths` as a client would: typed requests and answers of the main routes.
 * Each @ts-expect-error line must fail to compile, or tsc fails on the unused directive: the
 * types are the resource's, not `any` or a bare object.
 */
const CLIENT_USE = `
import type { components, paths } from './skald-api';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type StartSaga = paths['/v1/sagas']['post'];
type Saga = components['schemas']['Saga'];
type SagaPage = Json<paths['/v1/sagas']['get']['responses'][200]>;

export async function startSaga(
  baseUrl: string,
  apiKey: string,
  body: Json<NonNullable<StartSaga['requestBody']>>,
): Promise<Json<StartSaga['responses'][201]>> {
  const res = await fetch(\`\${baseUrl}/v1/sagas\`, {
    method: 'POST',
    headers: { authorization: \`Bearer \${apiKey}\`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201 && res.status !== 200) {
    const error = (await res.json()) as Json<StartSaga['responses'][400]>;
    throw new Error(\`\${error.statusCode} \${error.code ?? ''}: \${error.message}\`);
  }
  return (await res.json()) as Saga;
}

export const request: Json<NonNullable<StartSaga['requestBody']>> = {
  type: 'book-stay',
  input: { customer: 'ada' },
  idempotencyKey: 'trip-42',
};

export const saga: Saga = {
  id: '0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11',
  type: 'book-stay',
  version: 1,
  status: 'compensated',
  input: { customer: 'ada', refuse: true },
  data: { roomId: 'room-4' },
  error: { code: 'CARD_DECLINED', message: 'cards answered CARD_DECLINED', step: 'charge-card' },
  steps: [
    { name: 'reserve-room', status: 'compensated', attempts: 1, compensationAttempts: 1 },
    {
      name: 'charge-card',
      status: 'failed',
      attempts: 1,
      compensationAttempts: 0,
      waiting: { participant: 'cards', reason: 'circuit-open' },
    },
  ],
  createdAt: '2026-12-02T05:54:01.101Z',
  updatedAt: '2026-12-02T05:54:01.342Z',
  endedAt: '2026-12-02T05:54:01.342Z',
};
export const again: Json<StartSaga['responses'][200]> = saga;
export const inspected: Json<paths['/v1/sagas/{id}']['get']['responses'][200]> = saga;
export const cancelled: Json<paths['/v1/sagas/{id}/cancel']['post']['responses'][202]> = saga;
export const lastPage: SagaPage = { items: [saga], nextCursor: null };
export const history: Json<paths['/v1/sagas/{id}/history']['get']['responses'][200]> = [
  { seq: 1, type: 'saga-started', details: { version: 1 }, at: '2026-12-02T05:54:01.101Z' },
];
export const notFound: Json<paths['/v1/sagas/{id}']['get']['responses'][404]> = {
  statusCode: 404,
  error: 'Not Found',
  message: 'saga 0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11 does not exist',
  code: 'SAGA_NOT_FOUND',
};
export const participants: Json<paths['/v1/participants']['get']['responses'][200]> = {
  items: [
    {
      name: 'rooms',
      breaker: { state: 'half-open', consecutiveFailures: 5, openedAt: '2026-12-02T05:54:01.101Z' },
      inFlight: 0,
      maxInFlight: 100,
      queued: 2,
      limits: {
        source: 'participant',
        maxInFlight: 100,
        ratePerSecond: null,
        retriesPerSecond: 100,
        breaker: { failureThreshold: 5, openMs: 10000, halfOpenProbes: 1, mode: 'wait' },
      },
    },
  ],
};
export const breakerSet: Json<
  paths['/v1/participants/{name}/breaker']['post']['responses'][200]
> = {
  name: 'rooms',
  breaker: {
    state: 'open',
    consecutiveFailures: 0,
    manual: { state: 'open', reason: 'maintenance', actor: 'ops', at: '2026-12-02T05:54:01.101Z' },
  },
  inFlight: 0,
  maxInFlight: 100,
  queued: 0,
  limits: {
    source: 'global',
    maxInFlight: 100,
    ratePerSecond: 20,
    retriesPerSecond: 100,
    breaker: { failureThreshold: 5, openMs: 10000, halfOpenProbes: 1, mode: 'fail-fast' },
  },
};
export const sagaTypes: Json<paths['/v1/saga-types']['get']['responses'][200]> = {
  items: [{ type: 'book-stay', name: 'book-stay', version: 1, steps: ['reserve-room'], stages: [] }],
};
export const transaction: Json<paths['/v1/transactions/{id}']['get']['responses'][200]> = {
  id: '5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  status: 'aborted',
  decision: 'abort',
  reason: { code: 'INSUFFICIENT_FUNDS', message: 'alice has 5, not 10', participant: 'bank-a' },
  timeoutMs: 30000,
  participants: [
    { participant: 'bank-a', command: 'debit', payload: { amount: 10 }, vote: 'no', acknowledged: true },
  ],
  createdAt: '2026-12-02T05:54:01.101Z',
  updatedAt: '2026-12-02T05:54:01.260Z',
  prepareDeadlineAt: '2026-12-02T05:54:31.101Z',
};
export const resolution: Json<
  NonNullable<paths['/v1/transactions/{id}/resolve']['post']['requestBody']>
> = {
  outcome: 'abort',
  reason: 'the bank has no record of it',
};

// @ts-expect-error not a saga status
export const badStatus: Saga['status'] = 'done';
// @ts-expect-error a saga has an id
export const noId: Saga = { ...saga, id: undefined };
// @ts-expect-error nextCursor is a string or null
export const badCursor: SagaPage = { items: [], nextCursor: 1 };
// @ts-expect-error attempts is a number
export const badStep: Saga['steps'][number] = { ...saga.steps[0], attempts: '1' };
// @ts-expect-error a transaction's vote is yes or no
export const badVote: typeof transaction.participants[number]['vote'] = 'maybe';
// @ts-expect-error the request has no field colour
export const badRequest: typeof request = { type: 'book-stay', input: {}, colour: 'red' };
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: 'es2022',
    lib: ['es2022', 'dom'],
    module: 'esnext',
    moduleResolution: 'bundler',
    types: [],
  },
  files: ['client-use.ts'],
};

describe('the OpenAPI document (built in-process)', () => {
  let document: OpenAPIObject;

  it('has a 2xx schema for every operation, ErrorBody for every error, and valid examples', async () => {
    document = await inProcessOpenApiDocument(ENV);
    assert.deepEqual(documentProblems(document), []);
    assert.ok(!JSON.stringify(document).includes('a-secret-never-in-the-document'));
  });

  it('generates with openapi-typescript a client that compiles under strict tsc', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skald-openapi-client-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    await runToEnd(
      process.execPath,
      [
        join(repoRoot, 'node_modules/.bin/openapi-typescript'),
        'openapi.json',
        '-o',
        'skald-api.ts',
      ],
      { cwd: dir },
    );
    writeFileSync(join(dir, 'client-use.ts'), CLIENT_USE);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    // a failure keeps the directory and names it
    await runToEnd(process.execPath, [join(repoRoot, 'node_modules/.bin/tsc'), '-p', dir], {
      cwd: dir,
    }).catch((error: Error) => {
      throw new Error(`tsc failed on the generated client in ${dir}:\n${error.message}`);
    });
    rmSync(dir, { recursive: true });
  });
});
