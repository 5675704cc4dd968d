import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'pg';
import { createParticipant, type Participant } from '@skald/participant';
import { OrchestratorHarness, waitUntil } from '@skald/testing';

const WINDOW_MS = 10_000;
const SAMPLE_EVERY_MS = 200;

interface Backend {
  pid: number;
  app: string;
  backendStart: Date;
  queryStart: Date | null;
  query: string;
}

/**
 * Watches pg_stat_activity from the admin database for the client sessions of one database: a statement
 * shows as a session's `query_start` moving on, or as a session that was not there before.
 */
class StatementWatch {
  private constructor(
    private readonly admin: Client,
    private readonly database: string,
  ) {}

  static async open(database: string): Promise<StatementWatch> {
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    return new StatementWatch(admin, database);
  }

  async now(): Promise<Date> {
    return (await this.admin.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;
  }

  private async backends(): Promise<Backend[]> {
    const { rows } = await this.admin.query<Backend>(
      `SELECT pid, application_name AS app, backend_start AS "backendStart",
              query_start AS "queryStart", query
       FROM pg_stat_activity
       -- the server's own autovacuum (an ANALYZE after the test's writes) is not a client's
       WHERE datname = $1 AND backend_type = 'client backend'`,
      [this.database],
    );
    return rows;
  }

  /** Statements (`app: query`) the database's sessions started since `since`, sampled for `ms`. */
  async statementsDuring(since: Date, ms: number): Promise<string[]> {
    const seen = new Map<string, string>();
    const deadline = Date.now() + ms;
    do {
      for (const b of await this.backends()) {
        const started = b.queryStart && b.queryStart > since;
        if (started || b.backendStart > since) {
          seen.set(`${b.pid}/${b.queryStart?.toISOString()}`, `${b.app}: ${b.query}`);
        }
      }
      await sleep(SAMPLE_EVERY_MS);
    } while (Date.now() < deadline);
    return [...seen.values()];
  }

  /** Waits until no session of the database starts a statement for `quietMs`. */
  async untilQuiet(quietMs: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      async () => {
        const since = await this.now();
        return (await this.statementsDuring(since, quietMs)).length === 0;
      },
      { what: `the database to be quiet for ${quietMs} ms`, timeoutMs },
    );
  }

  close(): Promise<void> {
    return this.admin.end();
  }
}

describe('an idle orchestrator and SDK participant (no sagas running)', () => {
  let skald: OrchestratorHarness;
  let pool: Pool;
  let cars: Participant;
  let watch: StatementWatch;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/versioned-v1.ts')],
    });
    pool = new Pool({ connectionString: skald.db.url, application_name: 'participant cars' });
    cars = createParticipant({
      name: 'cars',
      kafka: { brokers: skald.brokers },
      topicPrefix: skald.topicPrefix,
      database: pool,
      createTables: true,
      // 2PC handlers and a coordinator URL: the in-doubt resolver runs too
      twoPhase: { coordinatorUrl: skald.url },
      log: () => undefined,
    })
      .on('reserve', () => Promise.resolve({ id: 'car-1' }))
      .onPrepare('hold', () => Promise.resolve({ held: true }))
      .onCommit('hold', () => Promise.resolve())
      .onAbort('hold', () => Promise.resolve());
    await cars.start();
    watch = await StatementWatch.open(skald.db.name);
  });
  after(async () => {
    await watch?.close();
    await cars?.stop();
    await pool?.end();
    await skald?.stop();
  });

  it('issue no statements to PostgreSQL over 10 s once a saga and a 2PC transaction have finished', async () => {
    // work first, so that every loop has run, armed and cancelled its timers
    const saga = await skald.startSaga('versioned', {});
    await skald.waitForStatus(saga.id, 'completed', 30_000);
    const begun = await skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'cars', command: 'hold', payload: {} }],
    });
    assert.equal(begun.status, 201, JSON.stringify(begun.body));
    await waitUntil(
      async () =>
        (await skald.request<{ status: string }>('GET', `/v1/transactions/${begun.body.id}`)).body
          .status === 'committed',
      { what: 'the 2PC transaction to commit' },
    );

    // the timer poller wakes once for the 2PC re-send due 2 s after the start, which the commit
    // made moot (one statement: nothing is due); after that nothing is pending
    await watch.untilQuiet(3_000);
    const statements = await watch.statementsDuring(await watch.now(), WINDOW_MS);
    assert.deepEqual(statements, [], 'statements issued while idle');
  });
});
