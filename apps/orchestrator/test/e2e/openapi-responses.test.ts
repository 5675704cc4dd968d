// The OpenAPI document against a real orchestrator: /docs-json is the document built in-process,
// it has a 2xx schema for every operation, and every answer of every endpoint — sagas running,
// completed, compensated and failed, history, pages, participants, saga types, the definition
// check (with and without problems), 2PC transactions committed, aborted and resolved, bulk dry
// runs and jobs, and the errors 400, 401, 403, 404, 409, 413 and 429 — validates against the
// schema the document gives for its operation and status.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { CommandEnvelope } from '@skald/protocol';
import { OrchestratorHarness, type ScriptedAnswer, type ScriptedParticipant } from '@skald/testing';
import { inProcessOpenApiDocument } from '../support/openapi-document';
import { documentProblems } from '../support/openapi-schemas';
import { checkResponses, ResponseRecorder } from '../support/recorded-responses';

const ROOT = `root-${randomBytes(16).toString('hex')}`;
const READER = `reader-${randomBytes(16).toString('hex')}`;
const ACK_TIMEOUT_MS = 1_500;
const ENV = {
  SKALD_SAGAS: join(__dirname, '../fixtures/openapi-sagas.ts'),
  SKALD_API_KEYS: `root:admin:${ROOT},reader:read:${READER}`,
  SKALD_BODY_LIMIT: '64kb',
  SKALD_TWO_PHASE_RESEND_MS: '100',
  SKALD_TWO_PHASE_RESEND_MAX_MS: '200',
  SKALD_TWO_PHASE_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
  // a bulk job is slow enough to be cancelled, and a second one is refused while it runs
  SKALD_BULK_RATE: '1',
  SKALD_BULK_MAX_JOBS: '1',
  SKALD_BULK_MAX_SAGAS: '5',
};

interface Saga {
  id: string;
  status: string;
  createdAt: string;
}
interface Transaction {
  id: string;
  status: string;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const ok = (data: unknown = {}): ScriptedAnswer => ({ outcome: 'success', data });

/**
 * `rooms` release nothing for the customer `stuck` and reserve nothing for `flaky`; `cards` refuse
 * when asked to.
 */
function answer(participant: string) {
  return (command: CommandEnvelope): ScriptedAnswer => {
    const data = (command.data ?? {}) as { customer?: string; refuse?: boolean };
    if (participant === 'cards')
      return data.refuse ? { outcome: 'failure', code: 'CARD_DECLINED' } : ok({ charged: true });
    if (participant === 'rooms' && command.command === 'release' && data.customer === 'stuck')
      return { outcome: 'error', code: 'ROOMS_DOWN' };
    if (participant === 'bank-no') return { outcome: 'failure', code: 'INSUFFICIENT_FUNDS' };
    if (participant === 'rooms' && data.customer === 'flaky')
      return { outcome: 'error', code: 'ROOMS_DOWN' };
    return ok({ id: `${participant}-${command.sagaId.slice(0, 8)}` });
  };
}

describe('the OpenAPI document describes every answer (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<string, ScriptedParticipant>;
  let document: OpenAPIObject;
  let api: ResponseRecorder;

  before(async () => {
    skald = await OrchestratorHarness.start({ sagas: [ENV.SKALD_SAGAS], env: ENV, apiKey: ROOT });
    participants = await skald.scriptedParticipants(['rooms', 'cards', 'bank', 'bank-no'], answer);
    api = new ResponseRecorder(() => skald.url, ROOT);
  });
  after(async () => {
    await Promise.all(Object.values(participants ?? {}).map((p) => p.stop()));
    await skald?.stop();
  });

  const start = async (type: string, input: unknown) => {
    const res = await api.call<Saga>('POST', '/v1/sagas', { body: { type, input } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const sagaIn = async (id: string, status: string) =>
    api.call<Saga>('GET', `/v1/sagas/${(await skald.waitForStatus(id, status)).id}`);
  const begin = async (participant: string, timeoutMs = 30_000) => {
    const res = await api.call<Transaction>('POST', '/v1/transactions', {
      body: {
        participants: [{ participant, command: 'debit', payload: { amount: 10 } }],
        timeoutMs,
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  const transactionIn = async (id: string, status: string) => {
    const deadline = Date.now() + ACK_TIMEOUT_MS + 15_000;
    let tx = await api.call<Transaction>('GET', `/v1/transactions/${id}`);
    while (tx.body.status !== status && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      tx = await api.call<Transaction>('GET', `/v1/transactions/${id}`);
    }
    assert.equal(tx.body.status, status, JSON.stringify(tx.body));
  };

  it('serves at /docs-json the document built in-process, with a 2xx schema and examples everywhere', async () => {
    // not recorded: the document does not describe itself
    const res = await skald.request<OpenAPIObject>('GET', '/docs-json');
    assert.equal(res.status, 200);
    document = res.body;
    assert.deepEqual(document, await inProcessOpenApiDocument(ENV));
    assert.deepEqual(documentProblems(document), []);
    const cancel: Record<string, unknown> = { ...document.paths['/v1/sagas/{id}/cancel'].post };
    assert.deepEqual(cancel.security, [{ 'api-key': [] }]);
    assert.equal(cancel['x-skald-scope'], 'operate');
  });

  it('answers sagas in every status, their history, pages, saga types and participants', async () => {
    const running = await start('wait-forever', {});
    const completed = await start('book-stay', { customer: 'ada' });
    const parked = await start('book-stay', { customer: 'parker' });
    const compensated = await start('book-stay', { customer: 'bob', refuse: true });
    const retried = await start('book-stay', { customer: 'stuck', refuse: true });
    const skipped = await start('book-stay', { customer: 'stuck', refuse: true });
    await sagaIn(completed.id, 'completed');
    await sagaIn(parked.id, 'completed');
    await sagaIn(compensated.id, 'compensated');
    await sagaIn(retried.id, 'failed');
    await sagaIn(skipped.id, 'failed');
    for (const saga of [running, completed, compensated, retried])
      assert.equal((await api.call('GET', `/v1/sagas/${saga.id}/history`)).status, 200);

    const idempotent = {
      type: 'book-stay',
      input: { customer: 'ada' },
      idempotencyKey: randomUUID(),
    };
    assert.equal((await api.call('POST', '/v1/sagas', { body: idempotent })).status, 201);
    assert.equal((await api.call('POST', '/v1/sagas', { body: idempotent })).status, 200);

    const first = await api.call<Page<Saga>>('GET', '/v1/sagas?limit=2');
    assert.equal(first.status, 200);
    assert.ok(first.body.nextCursor, 'more than one page');
    const second = await api.call<Page<Saga>>(
      'GET',
      `/v1/sagas?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    assert.equal(second.body.items.length, 2);
    const failed = await api.call<Page<Saga>>('GET', '/v1/sagas?type=book-stay&status=failed');
    assert.equal(failed.body.items.length, 2);
    assert.equal(failed.body.nextCursor, null);

    assert.equal((await api.call('GET', '/v1/saga-types')).status, 200);
    assert.equal((await api.call('GET', '/v1/definitions/check')).status, 200);
    assert.equal((await api.call('GET', '/v1/participants')).status, 200);
    for (const state of ['open', 'closed']) {
      const set = await api.call('POST', '/v1/participants/rooms/breaker', {
        body: { state, reason: 'maintenance' },
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
    }

    const cancel = await api.call<Saga>('POST', `/v1/sagas/${running.id}/cancel`, {
      body: { reason: 'the guest called' },
    });
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const retry = await api.call('POST', `/v1/sagas/${retried.id}/retry`);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    const skip = await api.call(
      'POST',
      `/v1/sagas/${skipped.id}/steps/reserve-room/skip-compensation`,
      {
        body: { reason: 'released by phone' },
      },
    );
    assert.equal(skip.status, 202, JSON.stringify(skip.body));
    await sagaIn(skipped.id, 'compensated');
  });

  it('answers paused sagas, and the pause, resume and skip actions', async () => {
    const skipped = await start('pause-stay', { customer: 'flaky' });
    const resumed = await start('pause-stay', { customer: 'flaky' });
    await sagaIn(skipped.id, 'paused');
    await sagaIn(resumed.id, 'paused');
    assert.equal((await api.call('GET', '/v1/sagas?waitReason=paused')).status, 200);
    const skip = await api.call('POST', `/v1/sagas/${skipped.id}/steps/reserve-room/skip`, {
      body: { reason: 'booked by phone' },
    });
    assert.equal(skip.status, 202, JSON.stringify(skip.body));
    await sagaIn(skipped.id, 'completed');
    const resume = await api.call('POST', `/v1/sagas/${resumed.id}/resume`);
    assert.equal(resume.status, 202, JSON.stringify(resume.body));
    assert.equal((await api.call('GET', `/v1/sagas/${resumed.id}/history`)).status, 200);

    const sleeper = await start('wait-forever', {});
    const pause = await api.call('POST', `/v1/sagas/${sleeper.id}/pause`, {
      body: { reason: 'look first' },
    });
    assert.equal(pause.status, 202, JSON.stringify(pause.body));
    const resumeAll = await api.call('POST', '/v1/participants/sleepers/resume-sagas');
    assert.equal(resumeAll.status, 200, JSON.stringify(resumeAll.body));
    const pauseAll = await api.call('POST', '/v1/participants/sleepers/pause-sagas', {
      body: { reason: 'sleepers maintenance' },
    });
    assert.equal(pauseAll.status, 200, JSON.stringify(pauseAll.body));
  });

  it('answers 2PC transactions committed, aborted, preparing and resolved, and their pages', async () => {
    const committed = await begin('bank');
    const aborted = await begin('bank-no');
    const preparing = await begin('nobody-prepares', 3_600_000);
    const silent = await begin('nobody-acknowledges', 200);
    await transactionIn(committed, 'committed');
    await transactionIn(aborted, 'aborted');
    await transactionIn(preparing, 'preparing');
    await transactionIn(silent, 'unacknowledged');
    const resolve = await api.call('POST', `/v1/transactions/${silent}/resolve`, {
      body: { outcome: 'abort', reason: 'the bank has no record of it' },
    });
    assert.equal(resolve.status, 200, JSON.stringify(resolve.body));

    const idempotent = {
      participants: [{ participant: 'bank', command: 'credit', payload: { amount: 5 } }],
      idempotencyKey: randomUUID(),
    };
    assert.equal((await api.call('POST', '/v1/transactions', { body: idempotent })).status, 201);
    assert.equal((await api.call('POST', '/v1/transactions', { body: idempotent })).status, 200);

    const first = await api.call<Page<Transaction>>('GET', '/v1/transactions?limit=2');
    assert.ok(first.body.nextCursor, 'more than one page');
    await api.call('GET', `/v1/transactions?limit=2&cursor=${first.body.nextCursor}`);
    await api.call('GET', '/v1/transactions?status=aborted');
  });

  it('answers bulk dry runs, jobs, their results and pages, cancel, and the 429 of one job too many', async () => {
    const first = await start('wait-forever', {});
    await start('wait-forever', {});
    const filter = {
      type: 'wait-forever',
      createdAfter: (await sagaIn(first.id, 'running')).body.createdAt,
    };
    const dryRun = await api.call('POST', '/v1/sagas/bulk', {
      body: { action: 'retry', filter, dryRun: true },
    });
    assert.equal(dryRun.status, 200, JSON.stringify(dryRun.body));
    const job = await api.call<{ id: string }>('POST', '/v1/sagas/bulk', {
      body: { action: 'retry', filter, reason: 'openapi' },
    });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const refused = await api.call('POST', '/v1/sagas/bulk', {
      body: { action: 'cancel', filter },
    });
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    // its first saga is refused (a running saga cannot be retried): a result with an error
    let results: unknown[] = [];
    while (results.length === 0) {
      const read = await api.call<{ results: unknown[] }>(
        'GET',
        `/v1/bulk-jobs/${job.body.id}?outcome=failed`,
      );
      results = read.body.results;
    }
    assert.equal((await api.call('GET', `/v1/bulk-jobs/${job.body.id}`)).status, 200);
    assert.equal((await api.call('POST', `/v1/bulk-jobs/${job.body.id}/cancel`)).status, 200);
    assert.equal((await api.call('POST', `/v1/bulk-jobs/${job.body.id}/cancel`)).status, 409);
    assert.equal((await api.call('GET', '/v1/bulk-jobs?limit=1')).status, 200);
    const errors: [number, string, string, unknown?, Record<string, string>?][] = [
      [400, 'POST', '/v1/sagas/bulk', { action: 'retry', filter: {} }],
      [400, 'POST', '/v1/sagas/bulk', { action: 'retry', filter: { colour: 'red' } }],
      [400, 'GET', '/v1/bulk-jobs/not-a-uuid'],
      [400, 'GET', '/v1/bulk-jobs?cursor=Zm9yZ2Vk'],
      [400, 'GET', `/v1/bulk-jobs/${job.body.id}?outcome=maybe`],
      [
        403,
        'POST',
        '/v1/sagas/bulk',
        { action: 'retry', filter },
        { authorization: `Bearer ${READER}` },
      ],
      [404, 'GET', `/v1/bulk-jobs/${randomUUID()}`],
      [404, 'POST', `/v1/bulk-jobs/${randomUUID()}/cancel`],
    ];
    for (const [status, method, url, body, headers] of errors) {
      const res = await api.call(method, url, { body, headers });
      assert.equal(res.status, status, `${method} ${url}: ${JSON.stringify(res.body)}`);
    }
  });

  it('answers a definition check that found problems', async () => {
    const done = (await api.call<Page<Saga>>('GET', '/v1/sagas?status=completed')).body.items[0];
    // as if its version had been unregistered while it ran
    const db = new Client(skald.db.url);
    await db.connect();
    const setSaga = (status: string, version: number) =>
      db.query('UPDATE skald.saga_instance SET status = $2, version = $3 WHERE id = $1', [
        done.id,
        status,
        version,
      ]);
    try {
      await setSaga('running', 9);
      const check = await api.call<{ ok: boolean; problems: unknown[] }>(
        'GET',
        '/v1/definitions/check',
      );
      assert.equal(check.body.ok, false, JSON.stringify(check.body));
      assert.equal(check.body.problems.length, 1);
    } finally {
      await setSaga('completed', 1);
      await db.end();
    }
  });

  it('answers the errors 400, 401, 403, 404, 409 and 413 in the documented shape', async () => {
    const missing = randomUUID();
    const done = (await api.call<Page<Saga>>('GET', '/v1/sagas?status=completed')).body.items[0];
    const key = randomUUID();
    await api.call('POST', '/v1/sagas', {
      body: { type: 'book-stay', input: { customer: 'a' }, idempotencyKey: key },
    });
    const tx = (await api.call<Page<Transaction>>('GET', '/v1/transactions?status=aborted')).body
      .items[0];
    const calls: [number, string, string, unknown?, Record<string, string>?][] = [
      [400, 'POST', '/v1/sagas', { type: 'book-stay', input: {}, colour: 'red' }],
      [400, 'POST', '/v1/sagas', { type: 'book-cruise', input: {} }],
      [400, 'POST', '/v1/sagas', { type: 'book-stay', input: { customer: 7 } }],
      [400, 'POST', '/v1/sagas', '{"type": "book-stay", '],
      [400, 'GET', '/v1/sagas?limit=0'],
      [400, 'GET', '/v1/sagas?cursor=Zm9yZ2Vk'],
      [400, 'GET', '/v1/sagas/not-a-uuid'],
      [400, 'GET', '/v1/sagas/not-a-uuid/history'],
      [400, 'POST', `/v1/sagas/${done.id}/cancel`, { reason: 7 }],
      [400, 'POST', `/v1/sagas/${done.id}/steps/reserve-room/skip-compensation`, {}],
      [400, 'POST', '/v1/transactions', { participants: [] }],
      [400, 'GET', '/v1/transactions?status=sleeping'],
      [400, 'POST', '/v1/participants/rooms/breaker', { state: 'ajar', reason: 'x' }],
      [400, 'GET', '/v1/transactions/not-a-uuid'],
      [400, 'POST', `/v1/transactions/${tx.id}/resolve`, { outcome: 'maybe', reason: 'x' }],
      [401, 'GET', '/v1/sagas', undefined, { authorization: '' }],
      [401, 'GET', '/metrics', undefined, { authorization: 'Bearer not-a-key' }],
      [401, 'GET', '/v1/saga-types', undefined, { authorization: 'Basic abc' }],
      [
        403,
        'POST',
        '/v1/sagas',
        { type: 'book-stay', input: {} },
        { authorization: `Bearer ${READER}` },
      ],
      [403, 'POST', `/v1/transactions/${tx.id}/resolve`, {}, { authorization: `Bearer ${READER}` }],
      [
        403,
        'POST',
        '/v1/participants/rooms/breaker',
        { state: 'open', reason: 'x' },
        { authorization: `Bearer ${READER}` },
      ],
      [404, 'GET', `/v1/sagas/${missing}`],
      [404, 'GET', `/v1/sagas/${missing}/history`],
      [404, 'POST', `/v1/sagas/${missing}/cancel`, {}],
      [404, 'POST', `/v1/sagas/${missing}/retry`],
      [404, 'GET', `/v1/transactions/${missing}`],
      [404, 'POST', '/v1/participants/nobody/breaker', { state: 'open', reason: 'x' }],
      [404, 'POST', `/v1/transactions/${missing}/resolve`, { outcome: 'abort', reason: 'x' }],
      [
        409,
        'POST',
        '/v1/sagas',
        { type: 'book-stay', input: { customer: 'b' }, idempotencyKey: key },
      ],
      [409, 'POST', `/v1/sagas/${done.id}/cancel`, {}],
      [409, 'POST', `/v1/sagas/${done.id}/retry`],
      [409, 'POST', `/v1/sagas/${done.id}/steps/reserve-room/skip-compensation`, { reason: 'x' }],
      [409, 'POST', `/v1/transactions/${tx.id}/resolve`, { outcome: 'commit', reason: 'x' }],
      [413, 'POST', '/v1/sagas', { type: 'book-stay', input: { blob: 'x'.repeat(70_000) } }],
      [413, 'POST', '/v1/transactions', { participants: [], memo: 'x'.repeat(70_000) }],
    ];
    for (const [status, method, url, body, headers] of calls) {
      const res = await api.call(method, url, { body, headers });
      assert.equal(res.status, status, `${method} ${url}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await api.call('GET', '/health')).status, 200);
    assert.equal((await api.call('GET', '/metrics')).status, 200);
  });

  it('validates every recorded answer against its operation and status, and calls every operation', () => {
    const { statusesByOperation, problems } = checkResponses(document, api.responses);
    const more = problems.length > 20 ? `\n... and ${problems.length - 20} more` : '';
    assert.equal(problems.length, 0, `${problems.slice(0, 20).join('\n')}${more}`);
    const without2xx = [...statusesByOperation]
      .filter(([, statuses]) => ![...statuses].some((s) => s >= 200 && s < 300))
      .map(([operation]) => operation);
    assert.deepEqual(without2xx, [], 'every operation answered a 2xx at least once');
    const errors = new Set(
      [...statusesByOperation.values()].flatMap((s) => [...s]).filter((s) => s >= 400),
    );
    assert.deepEqual([...errors].sort(), [400, 401, 403, 404, 409, 413, 429]);
  });
});
