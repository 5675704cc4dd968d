// The SDK prunes its own rows past the horizon (docs/participants.md#pruning): rows aged by SQL
// on the real database go; fresh rows, and a prepared (in-doubt) transaction whatever its age, stay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { createParticipant, ParticipantConfigError, type Participant } from '@skald/participant';
import { createTestDatabase, waitUntil, type TestDatabase } from '@skald/testing';
import { CommandRig } from './command-bench';

const AGED = "now() - interval '61 days'";

describe('participant SDK pruning (real PostgreSQL and Kafka)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let rig: CommandRig;
  let shop: Participant;

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url });
    rig = new CommandRig();
    await rig.start();
    shop = createParticipant({
      name: 'shop',
      kafka: { brokers: rig.brokers },
      database: pool,
      createTables: true,
      topicPrefix: rig.prefix,
      shutdownTimeoutMs: 5_000,
      // the default horizon (60 days), looked at often so the test need not wait an hour
      pruning: { everyMs: 200 },
      log: () => undefined,
    })
      .on('reserve', () => ({ reserved: true }))
      .onPrepare('debit', () => ({ held: 1 }))
      .onCommit('debit', () => ({ debited: 1 }))
      .onAbort('debit', () => ({}));
    await shop.start();
  });
  after(async () => {
    await shop?.stop();
    await rig?.stop();
    await pool?.end();
    await db?.drop();
  });

  const rows = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount;
  const inInbox = (ids: string[]) =>
    rows('SELECT 1 FROM skald_participant_inbox WHERE message_id = ANY($1::uuid[])', [ids]);
  const operations = (sagaId: string) =>
    rows('SELECT 1 FROM skald_participant_operation WHERE saga_id = $1', [sagaId]);
  const prepareLog = (transactionId: string) =>
    rows('SELECT 1 FROM skald_participant_prepare_log WHERE transaction_id = $1', [transactionId]);

  it('refuses a horizon that is not a whole number of days', () => {
    for (const afterDays of [0, 1.5, -3]) {
      assert.throws(
        () =>
          createParticipant({ name: 'x', kafka: { brokers: rig.brokers }, pruning: { afterDays } }),
        (e: unknown) =>
          e instanceof ParticipantConfigError &&
          /pruning.afterDays must be a whole number of days/.test(e.message),
      );
    }
  });

  it('deletes inbox, operation and finished prepare-log rows past the horizon, keeps the rest', async () => {
    const old = rig.command('shop');
    const fresh = rig.command('shop');
    const tx = { sagaId: old.sagaId.replace(/^./, 'a'), step: 'debit-a', command: 'debit' };
    const prepare = rig.command('shop', { ...tx, phase: 'prepare' });
    const commit = rig.command('shop', { ...tx, phase: 'commit' });
    const inDoubt = rig.command('shop', {
      ...tx,
      sagaId: fresh.sagaId.replace(/^./, 'b'),
      phase: 'prepare',
    });
    await rig.send('shop', old, fresh, prepare, inDoubt);
    for (const c of [old, fresh, prepare, inDoubt]) await rig.waitForReplies(c.id);
    await rig.send('shop', commit);
    await rig.waitForReplies(commit.id);
    // 2PC messages are kept in the prepare log, not the inbox
    const oldMessages = [old.id];
    assert.equal(await inInbox(oldMessages), 1);
    assert.equal(await operations(old.sagaId), 1);
    assert.equal(await prepareLog(tx.sagaId), 1);

    await pool.query(
      `UPDATE skald_participant_inbox SET received_at = ${AGED} WHERE message_id = ANY($1::uuid[])`,
      [oldMessages],
    );
    await pool.query(
      `UPDATE skald_participant_operation SET updated_at = ${AGED} WHERE saga_id = $1`,
      [old.sagaId],
    );
    await pool.query(
      `UPDATE skald_participant_prepare_log SET updated_at = ${AGED}, created_at = ${AGED}
       WHERE transaction_id = ANY($1::uuid[])`,
      [[tx.sagaId, inDoubt.sagaId]],
    );

    await waitUntil(
      async () =>
        (await inInbox(oldMessages)) === 0 &&
        (await operations(old.sagaId)) === 0 &&
        (await prepareLog(tx.sagaId)) === 0,
      { what: 'the aged rows to be pruned' },
    );
    assert.equal(await inInbox([fresh.id]), 1);
    assert.equal(await operations(fresh.sagaId), 1);
    assert.equal(await prepareLog(inDoubt.sagaId), 1, 'a prepared transaction is never pruned');
  });
});
