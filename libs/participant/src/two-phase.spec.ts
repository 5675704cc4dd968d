import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParticipantConfigError } from './errors';
import { createParticipant } from './participant';
import { readCoordinatorAnswer } from './two-phase';

describe('2PC handlers', () => {
  it('need a database: start() refuses, naming the option, before connecting anywhere', async () => {
    const bank = createParticipant({ name: 'bank', kafka: { brokers: ['127.0.0.1:1'] } })
      .onPrepare('debit', () => ({}))
      .onCommit('debit', () => ({}));
    await assert.rejects(
      bank.start(),
      (e: unknown) => e instanceof ParticipantConfigError && /need `database`/.test(e.message),
    );
  });

  it('are registered once per phase and command', () => {
    const bank = createParticipant({ name: 'bank', kafka: { brokers: ['127.0.0.1:1'] } });
    bank.onPrepare('debit', () => ({}));
    assert.throws(() => bank.onPrepare('debit', () => ({})), /a prepare handler for "debit"/);
    bank.onAbort('debit', () => ({}));
  });
});

describe('reading the coordinator’s answer about a transaction in doubt', () => {
  const id = '0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d';
  const unknown = {
    statusCode: 404,
    error: 'Not Found',
    message: 'no record',
    code: 'TRANSACTION_UNKNOWN',
  };

  it('presumes abort only on the coordinator’s own 404, code TRANSACTION_UNKNOWN', () => {
    assert.deepEqual(readCoordinatorAnswer(id, 404, unknown), {
      decision: 'abort',
      presumed: true,
    });
  });

  it('stays in doubt on any other 404: a wrong URL, a proxy, another service', () => {
    for (const body of [
      undefined,
      'Cannot GET /v1/transactions/x',
      { statusCode: 404, error: 'Not Found', message: 'Cannot GET /wrong/v1/transactions/x' },
      { ...unknown, code: 'NOT_FOUND' },
    ]) {
      const answer = readCoordinatorAnswer(id, 404, body);
      assert.equal(answer.decision, undefined, JSON.stringify(body));
      assert.match((answer as { why: string }).why, /HTTP 404 without code TRANSACTION_UNKNOWN/);
    }
  });

  it('stays in doubt on 5xx, 401 and 200s that are undecided or about something else', () => {
    assert.deepEqual(readCoordinatorAnswer(id, 503, { code: 'TRANSACTION_UNKNOWN' }), {
      decision: undefined,
      why: 'HTTP 503',
    });
    assert.equal(readCoordinatorAnswer(id, 401, undefined).decision, undefined);
    assert.match(
      (readCoordinatorAnswer(id, 401, undefined) as { why: string }).why,
      /requires an API key; set twoPhase\.apiKey to a key with the read scope/,
    );
    assert.match(
      (readCoordinatorAnswer(id, 401, undefined, true) as { why: string }).why,
      /does not know twoPhase\.apiKey/,
    );
    assert.match(
      (readCoordinatorAnswer(id, 403, { code: 'API_KEY_SCOPE' }, true) as { why: string }).why,
      /HTTP 403: twoPhase\.apiKey lacks the read scope/,
    );
    assert.deepEqual(readCoordinatorAnswer(id, 200, { id, status: 'preparing' }), {
      decision: undefined,
      why: 'undecided (preparing)',
    });
    assert.match(
      (readCoordinatorAnswer(id, 200, { id: 'other', decision: 'abort' }) as { why: string }).why,
      /not about this transaction/,
    );
  });

  it('takes the logged decision, whatever the status that carries it', () => {
    for (const status of ['committing', 'committed', 'unacknowledged'])
      assert.deepEqual(readCoordinatorAnswer(id, 200, { id, status, decision: 'commit' }), {
        decision: 'commit',
        presumed: false,
      });
    assert.deepEqual(
      readCoordinatorAnswer(id, 200, { id, status: 'aborting', decision: 'abort' }),
      {
        decision: 'abort',
        presumed: false,
      },
    );
  });
});
