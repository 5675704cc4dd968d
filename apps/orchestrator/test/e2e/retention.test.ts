// Retention with a real orchestrator process: finished sagas and 2PC transactions aged past
// SKALD_RETENTION_DAYS (by SQL, on the real database) are deleted with their history and
// executions by the housekeeping lease holder; failed, running and recent ones stay.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  waitUntil,
  type ScriptedAnswer,
  type ScriptedParticipant,
} from '@skald/testing';

/** Flights refuse `refused-*` customers; approvals never answer; everything else succeeds. */
function answer(participant: string) {
  return (command: CommandEnvelope): ScriptedAnswer => {
    const customer = (command.data as { customer?: string } | null)?.customer ?? '';
    if (participant === 'approvals') return { outcome: 'none' };
    if (participant === 'flights' && customer.startsWith('refused'))
      return { outcome: 'failure', code: 'NO_SEATS' };
    return { outcome: 'success', data: { id: `${participant}-1` } };
  };
}

describe('retention of finished sagas and 2PC transactions (orchestrator process, real PostgreSQL and Kafka)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<string, ScriptedParticipant>;
  let db: Client;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/trip-sagas.ts')],
      // a short lease: the restarted process takes it over (and applies retention) within a second
      env: { SKALD_RETENTION_DAYS: '1', SKALD_LEASE_MS: '1000' },
    });
    participants = await skald.scriptedParticipants(
      ['cars', 'hotels', 'flights', 'payments', 'approvals', 'bank'],
      answer,
    );
    db = new Client(skald.db.url);
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await Promise.all(Object.values(participants ?? {}).map((p) => p.stop()));
    await skald?.stop();
  });

  const count = async (table: string, column: string, ids: string[]) =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM skald.${table} WHERE ${column} = ANY($1::uuid[])`,
          [ids],
        )
      ).rows[0].n,
    );
  const commit = async () => {
    const res = await skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'bank', command: 'debit', payload: { amount: 1 } }],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitUntil(
      async () =>
        (await skald.request<{ status: string }>('GET', `/v1/transactions/${res.body.id}`)).body
          .status === 'committed',
      { what: `transaction ${res.body.id} committed` },
    );
    return res.body.id;
  };

  it('deletes what ended before the horizon, with its history and executions; keeps the rest', async () => {
    const start = (type: string, customer: string) => skald.startSaga(type, { customer });
    const oldCompleted = await start('book-trip', 'ada');
    const oldCompensated = await start('book-trip', 'refused-bob');
    const recentCompleted = await start('book-trip', 'cyd');
    const running = await start('slow-order', 'dan');
    await skald.waitForStatus(oldCompleted.id, 'completed');
    await skald.waitForStatus(oldCompensated.id, 'compensated');
    await skald.waitForStatus(recentCompleted.id, 'completed');
    await waitUntil(async () => (await skald.saga(running.id)).steps[1].status === 'running', {
      what: 'the slow order waiting on its approval',
    });
    const oldTransaction = await commit();
    const recentTransaction = await commit();
    const old = [oldCompleted.id, oldCompensated.id];
    assert.ok((await count('saga_history', 'saga_id', old)) > 0);
    assert.ok((await count('step_execution', 'saga_id', old)) > 0);

    // a failed saga needs an operator: it stays whatever its age (no participant fails it here)
    await db.query(
      `UPDATE skald.saga_instance SET status = 'failed', ended_at = now() WHERE id = $1`,
      [recentCompleted.id],
    );
    const failed = recentCompleted.id;
    const recent = await start('book-trip', 'eve');
    await skald.waitForStatus(recent.id, 'completed');

    await db.query(
      `UPDATE skald.saga_instance SET ended_at = now() - interval '2 days',
         created_at = now() - interval '3 days' WHERE id = ANY($1::uuid[])`,
      [[...old, failed]],
    );
    await db.query(
      `UPDATE skald.saga_instance SET created_at = now() - interval '3 days' WHERE id = $1`,
      [running.id],
    );
    await db.query(
      `UPDATE skald.two_phase_transaction SET ended_at = now() - interval '2 days' WHERE id = $1`,
      [oldTransaction],
    );
    // the new holder of the housekeeping lease applies retention when it takes the lease
    await skald.restart();

    await waitUntil(
      async () =>
        (await count('saga_instance', 'id', old)) === 0 &&
        (await count('two_phase_transaction', 'id', [oldTransaction])) === 0,
      { what: 'retention to delete the aged sagas and transaction', timeoutMs: 30_000 },
    );
    assert.equal(await count('saga_history', 'saga_id', old), 0);
    assert.equal(await count('step_execution', 'saga_id', old), 0);
    assert.equal(await count('two_phase_command', 'transaction_id', [oldTransaction]), 0);
    for (const id of old) assert.equal((await skald.request('GET', `/v1/sagas/${id}`)).status, 404);

    assert.equal((await skald.saga(failed)).status, 'failed');
    assert.equal((await skald.saga(recent.id)).status, 'completed');
    assert.ok((await skald.history(recent.id)).length > 0);
    assert.equal((await skald.saga(running.id)).status, 'running');
    const kept = await skald.request('GET', `/v1/transactions/${recentTransaction}`);
    assert.equal(kept.status, 200);
  });
});
