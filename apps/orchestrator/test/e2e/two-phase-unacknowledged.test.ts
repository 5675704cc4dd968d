// 2PC transactions whose decision some participant never acknowledges (#12 item 2): the
// coordinator backs off its re-sends, stops after SKALD_TWO_PHASE_ACK_TIMEOUT_MS with the
// transaction `unacknowledged` (naming who), lists them by status, and lets an operator resolve
// them with a reason — never against the logged decision.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { createParticipant, type Participant } from '@skald/participant';
import { OrchestratorHarness, waitUntil } from '@skald/testing';

interface TransactionResource {
  id: string;
  status: string;
  decision?: string;
  reason?: { code: string; message: string };
  unacknowledged?: string[];
  resolution?: { outcome: string; reason: string; at: string; unacknowledged: string[] };
  participants: { participant: string; acknowledged: boolean; error?: { code: string } }[];
  acknowledgeDeadlineAt?: string;
  endedAt?: string;
}

interface ErrorBody {
  statusCode: number;
  message: string;
  code?: string;
}

const ACK_TIMEOUT_MS = 3_000;

describe('2PC: a decision nobody acknowledges ends the transaction, visibly, for an operator', () => {
  let skald: OrchestratorHarness;
  let pool: Pool;
  let stubborn: Participant;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [],
      env: {
        SKALD_TWO_PHASE_RESEND_MS: '100',
        SKALD_TWO_PHASE_RESEND_MAX_MS: '2000',
        SKALD_TWO_PHASE_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      },
    });
    pool = new Pool({ connectionString: skald.db.url });
    // votes YES, then fails every commit: it never acknowledges one
    stubborn = createParticipant({
      name: 'stubborn',
      kafka: { brokers: skald.brokers },
      database: pool,
      createTables: true,
      topicPrefix: skald.topicPrefix,
      log: () => undefined,
    })
      .onPrepare('hold', () => ({ held: true }))
      .onCommit('hold', () => {
        throw Object.assign(new Error('ledger offline'), { code: 'LEDGER_OFFLINE' });
      });
    await stubborn.start();
  });
  after(async () => {
    await stubborn.stop();
    await pool.end();
    await skald.stop();
  });

  const get = async (id: string) =>
    (await skald.request<TransactionResource>('GET', `/v1/transactions/${id}`)).body;

  async function begin(participant: string, command: string, timeoutMs: number) {
    const res = await skald.request<TransactionResource>('POST', '/v1/transactions', {
      participants: [{ participant, command, payload: {} }],
      timeoutMs,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  }

  async function waitForStatus(id: string, status: string) {
    let tx = await get(id);
    await waitUntil(async () => (tx = await get(id)).status === status, {
      timeoutMs: ACK_TIMEOUT_MS + 15_000,
      what: `transaction ${id} to be ${status}`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}; it is ${tx.status}: ${JSON.stringify(tx)}`);
    });
    return tx;
  }

  const sentDecisions = async (id: string) =>
    (
      await pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM skald.two_phase_command WHERE transaction_id = $1 AND phase <> 'prepare'",
        [id],
      )
    ).rows[0].n;

  let silentAbort: string;
  let stubbornCommit: string;

  it('ends an abort a silent participant never acknowledges: unacknowledged, naming it; the re-sends back off, then stop', async () => {
    silentAbort = await begin('silent-a', 'debit', 300);
    const tx = await waitForStatus(silentAbort, 'unacknowledged');
    assert.equal(tx.decision, 'abort');
    assert.equal(tx.reason?.code, 'PREPARE_TIMEOUT');
    assert.deepEqual(tx.unacknowledged, ['silent-a']);
    assert.ok(tx.acknowledgeDeadlineAt && tx.endedAt, JSON.stringify(tx));
    const sent = await sentDecisions(silentAbort);
    // every 100 ms for 3 s would be 30 aborts; doubling towards 2 s is about 7
    assert.ok(sent >= 2 && sent < 15, `${sent} aborts sent`);
    // nothing more is sent: a fixed wait on purpose (there is no event to wait for), longer than
    // the longest re-send interval
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(await sentDecisions(silentAbort), sent, 'no abort is sent after the deadline');
  });

  it('ends a commit a participant keeps failing the same way, the commit decision kept', async () => {
    stubbornCommit = await begin('stubborn', 'hold', 5_000);
    const tx = await waitForStatus(stubbornCommit, 'unacknowledged');
    assert.equal(tx.decision, 'commit');
    assert.deepEqual(tx.unacknowledged, ['stubborn']);
    assert.equal(tx.participants[0].error?.code, 'LEDGER_OFFLINE');
  });

  it('lists transactions by status, newest first, with cursor paging', async () => {
    type Page = { items: TransactionResource[]; nextCursor: string | null };
    const first = await skald.request<Page>(
      'GET',
      '/v1/transactions?status=unacknowledged&limit=1',
    );
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.items.map((t) => t.id),
      [stubbornCommit],
    );
    assert.ok(first.body.nextCursor);
    const second = await skald.request<Page>(
      'GET',
      `/v1/transactions?status=unacknowledged&limit=1&cursor=${first.body.nextCursor}`,
    );
    assert.deepEqual(
      second.body.items.map((t) => t.id),
      [silentAbort],
    );
    assert.equal(second.body.nextCursor, null);
    const none = await skald.request<Page>('GET', '/v1/transactions?status=committed');
    assert.deepEqual(none.body, { items: [], nextCursor: null });

    const badStatus = await skald.request<ErrorBody>('GET', '/v1/transactions?status=stuck');
    assert.equal(badStatus.status, 400);
    assert.match(badStatus.body.message, /status must be one of .*unacknowledged/);
    const forged = await skald.request<ErrorBody>('GET', '/v1/transactions?cursor=Zm9yZ2Vk');
    assert.equal(forged.status, 400);
    assert.match(forged.body.message, /cursor is not one this API returned/);
  });

  it('resolves by hand with a recorded reason, never against the logged decision', async () => {
    const resolve = (id: string, body: unknown) =>
      skald.request<TransactionResource & ErrorBody>(
        'POST',
        `/v1/transactions/${id}/resolve`,
        body,
      );
    const flip = await resolve(silentAbort, { outcome: 'commit', reason: 'please' });
    assert.equal(flip.status, 409);
    assert.match(flip.body.message, /decided "abort"; a logged decision is never changed/);
    const noReason = await resolve(silentAbort, { outcome: 'abort' });
    assert.equal(noReason.status, 400);
    assert.match(noReason.body.message, /reason/);
    const badOutcome = await resolve(silentAbort, { outcome: 'maybe', reason: 'x' });
    assert.equal(badOutcome.status, 400);
    assert.match(badOutcome.body.message, /outcome must be one of/);

    const aborted = await resolve(silentAbort, {
      outcome: 'abort',
      reason: 'silent-a is a typo: no such service',
    });
    assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
    assert.equal(aborted.body.status, 'aborted');
    assert.equal(aborted.body.resolution?.reason, 'silent-a is a typo: no such service');
    assert.equal(aborted.body.resolution?.outcome, 'abort');
    assert.deepEqual(aborted.body.resolution?.unacknowledged, ['silent-a']);
    assert.ok(!Number.isNaN(Date.parse(aborted.body.resolution!.at)));
    const again = await resolve(silentAbort, { outcome: 'abort', reason: 'twice' });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already aborted/);

    const committed = await resolve(stubbornCommit, {
      outcome: 'commit',
      reason: 'ledger fixed by hand',
    });
    assert.equal(committed.body.status, 'committed');
    assert.deepEqual(committed.body.unacknowledged, ['stubborn']);

    // an undecided transaction may be aborted by hand, never committed
    const undecided = await begin('silent-b', 'debit', 60_000);
    const commitUndecided = await resolve(undecided, { outcome: 'commit', reason: 'x' });
    assert.equal(commitUndecided.status, 409);
    assert.match(commitUndecided.body.message, /undecided \(preparing\)/);
    const abortUndecided = await resolve(undecided, { outcome: 'abort', reason: 'stuck' });
    assert.equal(abortUndecided.body.status, 'aborting');
    assert.equal(abortUndecided.body.reason?.code, 'RESOLVED_BY_OPERATOR');

    const unknown = await resolve('0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d', {
      outcome: 'abort',
      reason: 'x',
    });
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'TRANSACTION_UNKNOWN']);
  });
});
