// The money-transfer demo over 2PC: two account services (bank-a, bank-b), each with its own
// table. A transfer is one transaction: `debit` at one bank, `credit` at the other. Prepare holds
// the amount (a debit reserves funds, a credit announces incoming money); commit moves it; abort
// releases it. The sum of all balances never changes.
import type { Pool } from 'pg';
import {
  BusinessRefusal,
  createParticipant,
  type CommandHandler,
  type Participant,
  type ParticipantFaults,
  type ParticipantKafkaOptions,
} from '@skald/participant';

export const BANKS = ['bank-a', 'bank-b'] as const;
export type Bank = (typeof BANKS)[number];

/** Each bank's own table. */
export const accountsTable = (bank: Bank): string => `demo_${bank.replace('-', '_')}_accounts`;

export const BANKS_SCHEMA_SQL = BANKS.map(
  (bank) => `CREATE TABLE IF NOT EXISTS ${accountsTable(bank)} (
  account text PRIMARY KEY,
  balance integer NOT NULL CHECK (balance >= 0),
  held integer NOT NULL DEFAULT 0,
  incoming integer NOT NULL DEFAULT 0
);`,
).join('\n');

/** Opening balances, added once: alice at bank-a, bob at bank-b, 1000 each. */
export const BANKS_SEED_SQL = `
INSERT INTO ${accountsTable('bank-a')} (account, balance) VALUES ('alice', 1000) ON CONFLICT DO NOTHING;
INSERT INTO ${accountsTable('bank-b')} (account, balance) VALUES ('bob', 1000) ON CONFLICT DO NOTHING;
`;

export interface Movement {
  account: string;
  amount: number;
}

export interface BankOptions {
  brokers: string[];
  /** SASL and TLS towards the brokers. @default neither */
  credentials?: Pick<ParticipantKafkaOptions, 'sasl' | 'ssl'>;
  pool: Pool;
  topicPrefix?: string;
  /** The orchestrator, asked about transactions left in doubt. */
  coordinatorUrl?: string;
  /** An API key of the orchestrator with the read scope, when it has SKALD_API_KEYS. */
  apiKey?: string;
  /** @default 30_000 */
  inDoubtAfterMs?: number;
  /** Longest wait between two questions about one transaction in doubt. @default 60_000 */
  askAgainMaxMs?: number;
  log?: (message: string) => void;
  /** Crash tests only: the participant's fault hook (see ParticipantOptions.faults). */
  faults?: ParticipantFaults;
}

function checkMovement(m: Movement): void {
  if (typeof m?.account !== 'string' || !Number.isInteger(m.amount) || m.amount <= 0)
    throw new BusinessRefusal('INVALID_MOVEMENT', 'need { account: string, amount: integer > 0 }');
}

export function bankParticipant(bank: Bank, options: BankOptions): Participant {
  const table = accountsTable(bank);
  const update =
    (set: string): CommandHandler<Movement> =>
    async (m, { tx }) => {
      await tx!.query(`UPDATE ${table} SET ${set} WHERE account = $1`, [m.account, m.amount]);
      return { account: m.account, amount: m.amount };
    };
  return createParticipant({
    name: bank,
    kafka: { brokers: options.brokers, ...options.credentials },
    database: options.pool,
    createTables: true,
    topicPrefix: options.topicPrefix,
    log: options.log,
    faults: options.faults,
    twoPhase: {
      coordinatorUrl: options.coordinatorUrl,
      apiKey: options.apiKey,
      inDoubtAfterMs: options.inDoubtAfterMs,
      checkEveryMs: Math.min(5_000, options.inDoubtAfterMs ?? 5_000),
      askAgainMaxMs: options.askAgainMaxMs,
    },
  })
    .onPrepare('debit', async (m: Movement, { tx }) => {
      checkMovement(m);
      // the row lock serialises prepares on one account: two debits cannot both see the same funds
      const [row] = await tx!.query<{ available: number }>(
        `SELECT balance - held AS available FROM ${table} WHERE account = $1 FOR UPDATE`,
        [m.account],
      );
      if (!row) throw new BusinessRefusal('NO_SUCH_ACCOUNT', `${bank} has no account ${m.account}`);
      if (row.available < m.amount)
        throw new BusinessRefusal(
          'INSUFFICIENT_FUNDS',
          `${m.account} at ${bank} has ${row.available} available, not ${m.amount}`,
        );
      await tx!.query(`UPDATE ${table} SET held = held + $2 WHERE account = $1`, [
        m.account,
        m.amount,
      ]);
      return m;
    })
    .onCommit('debit', update('balance = balance - $2, held = held - $2'))
    .onAbort('debit', update('held = held - $2'))
    .onPrepare('credit', async (m: Movement, { tx }) => {
      checkMovement(m);
      const [row] = await tx!.query(`SELECT 1 FROM ${table} WHERE account = $1 FOR UPDATE`, [
        m.account,
      ]);
      if (!row) throw new BusinessRefusal('NO_SUCH_ACCOUNT', `${bank} has no account ${m.account}`);
      await tx!.query(`UPDATE ${table} SET incoming = incoming + $2 WHERE account = $1`, [
        m.account,
        m.amount,
      ]);
      return m;
    })
    .onCommit('credit', update('balance = balance + $2, incoming = incoming - $2'))
    .onAbort('credit', update('incoming = incoming - $2'));
}

export function bankParticipants(options: BankOptions): Participant[] {
  return BANKS.map((bank) => bankParticipant(bank, options));
}

/** The body of POST /v1/transactions for a transfer from alice (bank-a) to bob (bank-b), or back. */
export function transferRequest(amount: number, from: Bank = 'bank-a', to: Bank = 'bank-b') {
  const owner = (bank: Bank) => (bank === 'bank-a' ? 'alice' : 'bob');
  return {
    participants: [
      { participant: from, command: 'debit', payload: { account: owner(from), amount } },
      { participant: to, command: 'credit', payload: { account: owner(to), amount } },
    ],
  };
}
