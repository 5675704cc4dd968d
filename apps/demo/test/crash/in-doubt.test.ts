import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { accountsTable } from '../../src/banks';
import { onlyTransaction, startTransfer, transferWorld } from './transfer-crash';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('in-doubt participants ask the coordinator (GET /v1/transactions/:id)', () => {
  it('a prepared bank that never hears COMMIT learns it by asking; one the coordinator never heard of presumes abort', async () => {
    const world = await transferWorld({
      orchestratorCrashAt: 'twopc:coordinator-after-decision-logged',
      inDoubtAfterMs: 1_000,
    });
    try {
      await startTransfer(world, 100);
      assert.equal(await world.skald.process.exited(), 'SIGKILL');
      const id = await onlyTransaction(world);
      // the COMMIT messages are lost and the coordinator will not re-send for an hour
      await world.pool.query('DELETE FROM skald.outbox');
      await world.pool.query(
        `UPDATE skald.two_phase_transaction SET due_at = now() + interval '1 hour' WHERE id = $1`,
        [id],
      );
      // a prepare log entry for a transaction the coordinator has no record of, holding 5
      const unknown = randomUUID();
      await world.pool.query(
        `INSERT INTO skald_participant_prepare_log
           (participant, transaction_id, step, command, request, state, prepared, updated_at)
         VALUES ('bank-a', $1, '0', 'debit', '{"account":"alice","amount":5}', 'prepared', '{}', now() - interval '1 hour')`,
        [unknown],
      );
      await world.pool.query(
        `UPDATE ${accountsTable('bank-a')} SET held = held + 5 WHERE account = 'alice'`,
      );
      await world.skald.restart({ env: world.orchestratorEnv });

      await until(async () => {
        const log = await world.prepareLog(id);
        return log['bank-a'] === 'committed' && log['bank-b'] === 'committed';
      }, 'both banks resolved the transaction by asking');
      assert.equal(await world.status(id), 'committing', 'no COMMIT message was delivered');
      await until(
        async () => (await world.prepareLog(unknown))['bank-a'] === 'aborted',
        'the unknown transaction is presumed aborted',
      );
      assert.deepEqual(await world.balances(), [
        { balance: 900, held: 0, incoming: 0 },
        { balance: 1100, held: 0, incoming: 0 },
      ]);

      // the coordinator's own re-send is then answered as a repeat, and the transaction finishes
      await world.pool.query(
        'UPDATE skald.two_phase_transaction SET due_at = now() WHERE id = $1',
        [id],
      );
      await world.waitForStatus(id, 'committed', 30_000);
      assert.deepEqual(
        (await world.balances()).map((b) => b.balance),
        [900, 1100],
      );
    } finally {
      await world.stop();
    }
  });
});
