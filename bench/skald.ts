// The system under test: the orchestrator as a child process (built from source, its own database
// and topic prefix), driven over its REST API. Completion is read from the saga rows (`ended_at`,
// written by the orchestrator on this machine's clock) by one poller, so latency does not depend on
// the poll interval; the poller's own queries are counted and subtracted from the counters.
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { benchPool } from './pg-pool';
import { commandTopic, replyTopic } from '@skald/protocol';
import {
  createTestDatabase,
  spawnOrchestrator,
  waitForHttp,
  type OrchestratorProcess,
  type TestDatabase,
} from '@skald/testing';
import { consumerLag } from './counters';
import { sleep } from './load';
import { profileSteps } from './step-profile';
import { BENCH_PARTICIPANTS, BENCH_SAGA_TYPE } from './workflow';

const TERMINAL = ['completed', 'compensated', 'failed'];

export interface SagaEnd {
  status: string;
  endedAt: number;
}

export class SkaldUnderTest {
  /** Queries this driver ran in the orchestrator's database (to subtract from its commits). */
  ownQueries = 0;
  private readonly pending = new Map<string, (end: SagaEnd) => void>();
  private polling = false;

  private constructor(
    readonly db: TestDatabase,
    readonly orchestrator: OrchestratorProcess,
    readonly topicPrefix: string,
    private readonly pool: Pool,
    private readonly pollMs: number,
  ) {}

  static async start(options: {
    topicPrefix: string;
    env: Record<string, string>;
    pollMs: number;
  }): Promise<SkaldUnderTest> {
    const db = await createTestDatabase();
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: db.url,
      SKALD_TOPIC_PREFIX: options.topicPrefix,
      SKALD_SAGAS: join(__dirname, 'bench-saga.ts'),
      ...options.env,
    });
    await waitForHttp(`${orchestrator.url}/health`, { process: orchestrator, timeoutMs: 120_000 });
    const pool = benchPool(db.url, 2);
    return new SkaldUnderTest(db, orchestrator, options.topicPrefix, pool, options.pollMs);
  }

  get pid(): number {
    return this.orchestrator.child.pid ?? -1;
  }

  /** Starts a saga through the API; resolves with its id. */
  async startSaga(input: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${this.orchestrator.url}/v1/sagas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: BENCH_SAGA_TYPE, input }),
    });
    const body = (await res.json()) as { id: string };
    if (res.status !== 201)
      throw new Error(`POST /v1/sagas: ${res.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  /** Resolves when the saga is terminal. */
  ended(id: string): Promise<SagaEnd> {
    const done = new Promise<SagaEnd>((resolve) => this.pending.set(id, resolve));
    if (!this.polling) void this.poll();
    return done;
  }

  /** Starts a saga and resolves with the time it ended (ms epoch), as the load generators want. */
  run = async (input: Record<string, unknown> = {}): Promise<number> =>
    (await this.ended(await this.startSaga(input))).endedAt;

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.pending.size > 0) {
        const ids = [...this.pending.keys()];
        this.ownQueries++;
        const { rows } = await this.pool.query<{ id: string; status: string; ended: string }>(
          `SELECT id::text, status, (extract(epoch FROM ended_at) * 1000)::float8 AS ended
             FROM skald.saga_instance WHERE id = ANY($1::uuid[]) AND status = ANY($2)`,
          [ids, TERMINAL],
        );
        for (const row of rows) {
          this.pending.get(row.id)?.({ status: row.status, endedAt: Number(row.ended) });
          this.pending.delete(row.id);
        }
        await sleep(this.pollMs);
      }
    } finally {
      this.polling = false;
    }
  }

  /** Outbox rows not yet published. */
  async outboxBacklog(): Promise<number> {
    this.ownQueries++;
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM skald.outbox',
    );
    return rows[0].n;
  }

  /** Messages not yet consumed: replies by the orchestrator, commands by the participants. */
  async consumerLag(admin: Admin): Promise<{ replies: number; commands: number }> {
    const [replies, ...commands] = await Promise.all([
      consumerLag(admin, `${this.topicPrefix}.orchestrator`, [replyTopic(this.topicPrefix)]),
      ...BENCH_PARTICIPANTS.map((name) =>
        consumerLag(admin, `${this.topicPrefix}.participant.${name}`, [
          commandTopic(this.topicPrefix, name),
        ]),
      ),
    ]);
    return { replies, commands: commands.reduce((a, b) => a + b, 0) };
  }

  /** Where the time of the sagas created since `sinceMs` went, step by step (bench/step-profile.ts). */
  async stepProfile(kafka: Kafka, sinceMs: number) {
    this.ownQueries++;
    return profileSteps(this.pool, kafka, this.topicPrefix, sinceMs);
  }

  /** The statements the orchestrator ran most often in its database (pg_stat_statements). */
  async topStatements(admin: Pool, limit = 20) {
    const { rows } = await admin.query<{ query: string; calls: string; meanMs: number }>(
      `SELECT left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) AS query, s.calls::bigint AS calls,
              round(s.mean_exec_time::numeric, 3)::float8 AS "meanMs"
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = $1 ORDER BY s.calls DESC LIMIT $2`,
      [this.db.name, limit],
    );
    return rows.map((r) => ({ ...r, calls: Number(r.calls) }));
  }

  /** Terminal count, statuses and the last `ended_at` of sagas created since `sinceMs`. */
  async progress(sinceMs: number) {
    this.ownQueries++;
    const { rows } = await this.pool.query<{
      status: string;
      n: number;
      first: number | null;
      last: number | null;
    }>(
      `SELECT status, count(*)::int AS n, (min(extract(epoch FROM ended_at)) * 1000)::float8 AS first,
              (max(extract(epoch FROM ended_at)) * 1000)::float8 AS last
         FROM skald.saga_instance WHERE created_at >= to_timestamp($1 / 1000.0) GROUP BY status`,
      [sinceMs],
    );
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const terminal = rows.filter((r) => TERMINAL.includes(r.status));
    return {
      byStatus,
      terminal: terminal.reduce((a, r) => a + r.n, 0),
      firstEndedAt: Math.min(Infinity, ...terminal.map((r) => Number(r.first ?? Infinity))),
      lastEndedAt: Math.max(0, ...terminal.map((r) => Number(r.last ?? 0))),
    };
  }

  async stop(): Promise<void> {
    await this.pool.end();
    await this.orchestrator.stop();
    await this.db.drop();
  }
}
