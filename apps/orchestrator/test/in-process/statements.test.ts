// What the engine's transactions cost PostgreSQL: the statements each one sends (the protocol's
// floor runs a 3-step saga in 16). A reply costs one read and one write, a start one write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';
import { sentDuring, transactionsDuring } from './statements-sent';

const threeSteps = defineSaga('three-steps', { version: 1 })
  .step('one', { invoke: () => command('p1', 'work', {}) })
  .step('two', {
    invoke: () => command('p2', 'work', {}),
    retry: { maxAttempts: 2, initialMs: 1, maxMs: 1 },
  })
  .step('three', { invoke: () => command('p3', 'work', {}) })
  .build();

/** The statements sent while `work` runs, by transaction, each by its kind. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[][]> {
  return (await transactionsDuring(work)).map((statements) => statements.map(kindOf));
}

/** A statement's first words and the tables it writes: enough to tell them apart. */
function kindOf(sql: string): string {
  if (/^(START TRANSACTION|COMMIT|ROLLBACK)$/.test(sql)) return sql;
  const words = sql.trim().split(/\s+/);
  const writes = [...sql.matchAll(/(?:INSERT INTO|UPDATE|DELETE FROM) (skald\.\w+)/g)];
  const tables = [...new Set(writes.map((m) => m[1].replace('skald.', '')))].sort();
  return [words[0], ...(tables.length > 0 ? [`(${tables.join(', ')})`] : [])].join(' ');
}

/** One transaction's statements, without BEGIN and COMMIT. */
const inside = (statements: string[]) =>
  statements.filter((s) => s !== 'START TRANSACTION' && s !== 'COMMIT');

describe('in process: statements per transaction', () => {
  it('a start is one statement, a reply two (read, write), a fired timer two', () =>
    InProcessOrchestrator.run({ sagas: [threeSteps] }, async (skald) => {
      let saga!: { id: string };
      const start = await statementsOf(async () => {
        saga = (await skald.engine.start({ type: 'three-steps', input: {} })).saga;
      });
      assert.deepEqual(start.map(inside), [
        ['WITH (outbox, participant, saga_history, saga_instance, step_execution, timer)'],
      ]);

      const replies: string[][][] = [];
      const reply = async (outcome: 'success' | 'error') => {
        const queued = await skald.queuedCommand(saga.id);
        await skald.publishOutbox();
        const data = outcome === 'error' ? { code: 'DOWN', message: 'down' } : undefined;
        replies.push(
          await statementsOf(() =>
            skald.deliver(skald.replyTo(queued, { outcome, data } as never)),
          ),
        );
      };
      await reply('success');
      await reply('error'); // step two is retried after 1 ms
      const timer = await statementsOf(async () => {
        await skald.fireTimersUntil(
          'the retry',
          async () => (await skald.queuedCommands()).length > 0,
        );
      });
      await reply('success');
      await reply('success');
      assert.equal((await skald.saga(saga.id)).status, 'completed');
      for (const transactions of replies) {
        assert.equal(transactions.length, 1, 'one transaction per reply');
        const [read, write, ...rest] = inside(transactions[0]);
        assert.deepEqual([read.split(' ')[0], rest], ['WITH', []], transactions[0].join('\n'));
        assert.match(write, /^WITH \(.*step_execution/);
      }
      const fired = timer.map(inside).filter((t) => t.length > 1);
      assert.equal(fired.length, 1, 'one timer fired');
      assert.equal(fired[0].length, 2, fired[0].join('\n'));
    }));

  it('sends the engine statements as named prepared statements, unless switched off', async () => {
    const preparedOf = (env: NodeJS.ProcessEnv) =>
      InProcessOrchestrator.run({ sagas: [threeSteps], env }, async (skald) => {
        const { saga } = await skald.engine.start({ type: 'three-steps', input: {} });
        const { prepared } = await sentDuring(async () => {
          const queued = await skald.queuedCommand(saga.id);
          await skald.publishOutbox();
          await skald.deliver(skald.replyTo(queued, { outcome: 'success' } as never));
        });
        return prepared;
      });
    // the relay's claim and dispatch, the reply's read and write
    const named = await preparedOf({});
    assert.equal(named.length, 4, named.join('\n'));
    assert.ok(named.every((name) => /^skald_[\w-]{27}$/.test(name)));
    assert.deepEqual(await preparedOf({ SKALD_DB_PREPARED_STATEMENTS: 'false' }), []);
  });
});
