// Crash matrix of the money-transfer demo over 2PC (real orchestrator and bank processes, real
// PostgreSQL and Kafka): SIGKILL one process at a named protocol point, restart it unarmed, and
// check the invariants of guarantee 8.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Pool } from 'pg';
import {
  findFreePort,
  OrchestratorHarness,
  startTestProcess,
  type TestProcess,
} from '@skald/testing';
import {
  accountsTable,
  BANKS,
  BANKS_SCHEMA_SQL,
  BANKS_SEED_SQL,
  transferRequest,
  type Bank,
} from '../../src/banks';

const bankEntry = join(__dirname, '../fixtures/bank-process.ts');

export interface TransferWorld {
  skald: OrchestratorHarness;
  pool: Pool;
  banks: Map<Bank, TestProcess>;
  /** The orchestrator's environment without any crash point (its port stays the same). */
  orchestratorEnv: NodeJS.ProcessEnv;
  startBank(bank: Bank, env?: NodeJS.ProcessEnv): Promise<TestProcess>;
  status(id: string): Promise<string | undefined>;
  waitForStatus(id: string, status: string, timeoutMs?: number): Promise<void>;
  /** The prepare log of both banks for one transaction: bank → state. */
  prepareLog(id: string): Promise<Record<string, string>>;
  balances(): Promise<{ balance: number; held: number; incoming: number }[]>;
  stop(): Promise<void>;
}

export async function transferWorld(options: {
  orchestratorCrashAt?: string;
  bankEnv?: Partial<Record<Bank, NodeJS.ProcessEnv>>;
  inDoubtAfterMs?: number;
}): Promise<TransferWorld> {
  // a fixed port, so the banks' coordinatorUrl still works after a restart
  // re-sends of a decision back off: capped at 2 s so a restarted bank hears it soon
  const orchestratorEnv = {
    PORT: String(await findFreePort()),
    SKALD_TWO_PHASE_RESEND_MS: '500',
    SKALD_TWO_PHASE_RESEND_MAX_MS: '2000',
  };
  const skald = await OrchestratorHarness.start({
    sagas: [],
    env: {
      ...orchestratorEnv,
      ...(options.orchestratorCrashAt ? { SKALD_CRASH_AT: options.orchestratorCrashAt } : {}),
    },
  });
  const pool = new Pool({ connectionString: skald.db.url });
  await pool.query(BANKS_SCHEMA_SQL + BANKS_SEED_SQL);
  const banks = new Map<Bank, TestProcess>();
  const world: TransferWorld = {
    skald,
    pool,
    banks,
    orchestratorEnv,
    async startBank(bank, env = {}) {
      const started = startTestProcess(
        bankEntry,
        {
          BANK: bank,
          PARTICIPANT_DATABASE_URL: skald.db.url,
          KAFKA_BROKERS: skald.brokers.join(','),
          SKALD_TOPIC_PREFIX: skald.topicPrefix,
          SKALD_URL: skald.url,
          IN_DOUBT_AFTER_MS: String(options.inDoubtAfterMs ?? 3_000),
          ...env,
        },
        `${bank} ready`,
      );
      banks.set(bank, started);
      await started.ready;
      return started;
    },
    async status(id) {
      const rows = await pool.query<{ status: string }>(
        'SELECT status FROM skald.two_phase_transaction WHERE id = $1',
        [id],
      );
      return rows.rows[0]?.status;
    },
    async waitForStatus(id, status, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await world.status(id)) !== status && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const tx = await pool.query('SELECT * FROM skald.two_phase_transaction WHERE id = $1', [id]);
      assert.equal(await world.status(id), status, JSON.stringify(tx.rows[0]));
    },
    async prepareLog(id) {
      const rows = await pool.query<{ participant: string; state: string }>(
        'SELECT participant, state FROM skald_participant_prepare_log WHERE transaction_id = $1',
        [id],
      );
      return Object.fromEntries(rows.rows.map((r) => [r.participant, r.state]));
    },
    async balances() {
      const rows = await pool.query<{ balance: number; held: number; incoming: number }>(
        `SELECT balance, held, incoming FROM ${accountsTable('bank-a')}
         UNION ALL SELECT balance, held, incoming FROM ${accountsTable('bank-b')}`,
      );
      return rows.rows;
    },
    async stop() {
      await Promise.all([...banks.values()].map((b) => b.stop('SIGKILL')));
      await pool.end();
      await skald.stop();
    },
  };
  for (const bank of BANKS) await world.startBank(bank, options.bankEnv?.[bank]);
  return world;
}

/** Starts a transfer; the answer may die with the orchestrator, so the id comes from its table. */
export async function startTransfer(
  world: TransferWorld,
  amount: number,
  timeoutMs = 90_000,
): Promise<void> {
  await world.skald
    .request('POST', '/v1/transactions', { ...transferRequest(amount), timeoutMs })
    .catch(() => undefined);
}

export async function onlyTransaction(world: TransferWorld): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await world.pool.query<{ id: string }>(
      'SELECT id FROM skald.two_phase_transaction',
    );
    if (rows.rows.length === 1) return rows.rows[0].id;
    if (Date.now() > deadline)
      throw new Error(`expected one transaction, found ${rows.rows.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function died(process: TestProcess | { exited(): Promise<unknown> }, what: string) {
  const exit = 'exit' in process ? process.exit : process.exited();
  const timeout = new Promise((r) => setTimeout(() => r('still running'), 45_000).unref());
  assert.equal(await Promise.race([exit, timeout]), 'SIGKILL', `${what} died at the crash point`);
}

/**
 * One cell of the matrix: the transfer of `amount` (100 commits; 5000 is refused by bank-a and
 * aborts) with `point` armed in `armed`; after the crash and a restart, both banks end the same
 * way, none stays prepared, and the money is conserved. With a `prepareTimeoutMs` shorter than
 * the restart, the transfer must abort even though both banks (eventually) vote YES.
 */
export async function crashCase(
  point: string,
  armed: 'orchestrator' | Bank,
  amount: number,
  prepareTimeoutMs?: number,
): Promise<void> {
  const world = await transferWorld(
    armed === 'orchestrator'
      ? { orchestratorCrashAt: point }
      : { bankEnv: { [armed]: { SKALD_CRASH_AT: point } } },
  );
  try {
    await startTransfer(world, amount, prepareTimeoutMs);
    if (armed === 'orchestrator') {
      await died(world.skald.process, 'the orchestrator');
      await world.skald.restart({ env: world.orchestratorEnv });
    } else {
      await died(world.banks.get(armed)!, armed);
      await world.startBank(armed);
    }
    const id = await onlyTransaction(world);
    const refused = amount > 1_000;
    const commits = !refused && prepareTimeoutMs === undefined;
    await world.waitForStatus(id, commits ? 'committed' : 'aborted');
    assert.deepEqual(
      await world.prepareLog(id),
      commits
        ? { 'bank-a': 'committed', 'bank-b': 'committed' }
        : { 'bank-a': refused ? 'refused' : 'aborted', 'bank-b': 'aborted' },
      'every bank ends the same way, none is left prepared',
    );
    const balances = await world.balances();
    assert.deepEqual(
      balances,
      commits
        ? [
            { balance: 1000 - amount, held: 0, incoming: 0 },
            { balance: 1000 + amount, held: 0, incoming: 0 },
          ]
        : [
            { balance: 1000, held: 0, incoming: 0 },
            { balance: 1000, held: 0, incoming: 0 },
          ],
    );
    assert.equal(
      balances.reduce((sum, b) => sum + b.balance, 0),
      2000,
      'money is conserved',
    );
  } finally {
    await world.stop();
  }
}
