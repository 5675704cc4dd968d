import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Pool } from 'pg';
import { findFreePort, OrchestratorHarness } from '@skald/testing';
import {
  accountsTable,
  BANKS_SCHEMA_SQL,
  BANKS_SEED_SQL,
  bankParticipants,
  transferRequest,
} from '../../src/banks';
import { onlyTransaction, startTransfer, transferWorld } from './transfer-crash';

type ProxyMode = 'not-found' | 'bad-gateway' | 'forward';

/**
 * What a participant's coordinatorUrl reaches: first something that is not the coordinator (a
 * wrong URL's 404, a proxy's 502), then, once "fixed", the coordinator itself.
 */
async function coordinatorProxy(coordinatorUrl: () => string) {
  const asked: Record<ProxyMode, number> = { 'not-found': 0, 'bad-gateway': 0, forward: 0 };
  const proxy = {
    mode: 'not-found' as ProxyMode,
    asked,
    url: '',
    server: undefined as unknown as Server,
  };
  proxy.server = createServer((req, res) => {
    asked[proxy.mode]++;
    if (proxy.mode === 'not-found') {
      res.writeHead(404, { 'content-type': 'text/html' }).end(`Cannot GET ${req.url}`);
    } else if (proxy.mode === 'bad-gateway') {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway');
    } else {
      void fetch(`${coordinatorUrl()}${req.url}`)
        .then(async (answer) =>
          res
            .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' })
            .end(await answer.text()),
        )
        .catch(() => res.writeHead(502).end());
    }
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  return proxy;
}

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
      // (a due time set by hand wakes the timer pollers only with its NOTIFY, as Skald's own do)
      await world.pool.query(
        `WITH due AS (UPDATE skald.two_phase_transaction SET due_at = now() WHERE id = $1 RETURNING due_at)
         SELECT pg_notify('skald_timer', (extract(epoch FROM due_at) * 1000)::bigint::text) FROM due`,
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

  it('a prepared bank whose coordinator URL answers 404 from elsewhere, or 502, stays prepared, then commits once the URL reaches the coordinator', async () => {
    const env = { PORT: String(await findFreePort()), SKALD_TWO_PHASE_RESEND_MS: '500' };
    const skald = await OrchestratorHarness.start({
      sagas: [],
      env: { ...env, SKALD_CRASH_AT: 'twopc:coordinator-after-decision-logged' },
    });
    const pool = new Pool({ connectionString: skald.db.url });
    const proxy = await coordinatorProxy(() => skald.url);
    const logs: string[] = [];
    const banks = bankParticipants({
      brokers: skald.brokers,
      pool,
      topicPrefix: skald.topicPrefix,
      coordinatorUrl: proxy.url,
      inDoubtAfterMs: 1_000,
      askAgainMaxMs: 2_000,
      log: (m) => logs.push(m),
    });
    const prepareLog = async (id: string) => {
      const rows = await pool.query<{ participant: string; state: string }>(
        'SELECT participant, state FROM skald_participant_prepare_log WHERE transaction_id = $1 ORDER BY participant',
        [id],
      );
      return rows.rows.map((r) => `${r.participant}:${r.state}`);
    };
    const lastAnswers = (id: string) =>
      banks.map((b) => b.health().inDoubt?.find((t) => t.transactionId === id)?.lastAnswer);
    try {
      await pool.query(BANKS_SCHEMA_SQL + BANKS_SEED_SQL);
      await Promise.all(banks.map((b) => b.start()));
      // both banks vote YES, the coordinator logs COMMIT and dies before sending it
      await skald
        .request('POST', '/v1/transactions', { ...transferRequest(100), timeoutMs: 90_000 })
        .catch(() => undefined);
      assert.equal(await skald.process.exited(), 'SIGKILL');
      const [{ id }] = (
        await pool.query<{ id: string }>('SELECT id FROM skald.two_phase_transaction')
      ).rows;
      await pool.query('DELETE FROM skald.outbox');
      await pool.query(
        `UPDATE skald.two_phase_transaction SET due_at = now() + interval '1 hour' WHERE id = $1`,
        [id],
      );
      await skald.restart({ env });

      // a 404 that is not the coordinator's: no presumed abort, the banks ask again
      await until(async () => proxy.asked['not-found'] >= 2, 'the banks asked');
      assert.deepEqual(await prepareLog(id), ['bank-a:prepared', 'bank-b:prepared']);
      await until(async () => proxy.asked['not-found'] >= 4, 'the banks asked again');
      assert.deepEqual(await prepareLog(id), ['bank-a:prepared', 'bank-b:prepared']);
      assert.deepEqual(lastAnswers(id), [
        "HTTP 404 without code TRANSACTION_UNKNOWN: not the coordinator's answer",
        "HTTP 404 without code TRANSACTION_UNKNOWN: not the coordinator's answer",
      ]);
      assert.ok(
        logs.some((l) => l.includes(`transaction ${id} stays in doubt`) && l.includes(proxy.url)),
        logs.join('\n'),
      );

      // a proxy's 502: still in doubt
      proxy.mode = 'bad-gateway';
      await until(async () => proxy.asked['bad-gateway'] >= 2, 'the banks asked through the 502');
      assert.deepEqual(await prepareLog(id), ['bank-a:prepared', 'bank-b:prepared']);
      await until(
        async () => lastAnswers(id).every((a) => a === 'HTTP 502'),
        'both banks to show the 502 in their health',
      );

      // the URL reaches the coordinator: its decision, commit, is applied by both
      proxy.mode = 'forward';
      await until(
        async () =>
          (await prepareLog(id)).join() === ['bank-a:committed', 'bank-b:committed'].join(),
        'both banks committed by asking',
      );
      const balances = await pool.query<{ balance: number; held: number; incoming: number }>(
        `SELECT balance, held, incoming FROM ${accountsTable('bank-a')}
         UNION ALL SELECT balance, held, incoming FROM ${accountsTable('bank-b')}`,
      );
      assert.deepEqual(balances.rows, [
        { balance: 900, held: 0, incoming: 0 },
        { balance: 1100, held: 0, incoming: 0 },
      ]);
      assert.deepEqual(
        banks.map((b) => b.health().inDoubt),
        [[], []],
      );
      const status = await pool.query<{ status: string }>(
        'SELECT status FROM skald.two_phase_transaction WHERE id = $1',
        [id],
      );
      assert.equal(status.rows[0].status, 'committing', 'no COMMIT message was delivered');
    } finally {
      await Promise.all(banks.map((b) => b.stop()));
      proxy.server.close();
      await pool.end();
      await skald.stop();
    }
  });
});
