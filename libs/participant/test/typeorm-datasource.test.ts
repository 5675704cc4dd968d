import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource, type EntityManager } from 'typeorm';
import { createParticipant, type Participant } from '@skald/participant';
import { createTestDatabase, type TestDatabase } from '@skald/testing';
import { CommandRig } from './command-bench';

describe('participant SDK with a TypeORM DataSource', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let rig: CommandRig;
  let trucks: Participant;
  let handlerRuns = 0;

  before(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    await dataSource.query('CREATE TABLE trucks (saga_id uuid PRIMARY KEY)');
    rig = new CommandRig();
    await rig.start();
    trucks = createParticipant({
      name: 'trucks',
      kafka: { brokers: rig.brokers },
      database: dataSource,
      createTables: true,
      topicPrefix: rig.prefix,
      log: () => undefined,
    }).on('reserve', async (_req, { transaction, sagaId }) => {
      handlerRuns++;
      // the handler writes through the transaction's own EntityManager
      await (transaction as EntityManager).query('INSERT INTO trucks (saga_id) VALUES ($1)', [
        sagaId,
      ]);
      return { truck: sagaId.slice(0, 8) };
    });
    await trucks.start();
  });
  after(async () => {
    await trucks.stop();
    await rig.stop();
    await dataSource.destroy();
    await db.drop();
  });

  it('commits the handler’s writes with the inbox row, once per command', async () => {
    const command = rig.command('trucks');
    await rig.send('trucks', command, command);
    const replies = await rig.waitForReplies(command.id, 2);
    assert.deepEqual(
      replies.map((r) => r.data),
      [{ truck: command.sagaId.slice(0, 8) }, { truck: command.sagaId.slice(0, 8) }],
    );
    assert.equal(handlerRuns, 1);
    const rows = await dataSource.query('SELECT saga_id FROM trucks');
    assert.deepEqual(rows, [{ saga_id: command.sagaId }]);
  });
});
