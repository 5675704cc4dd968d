import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  createTestDatabase,
  spawnOrchestrator,
  waitForHttp,
  type TestDatabase,
} from '@skald/testing';

describe('orchestrator start-up', () => {
  it('fails fast, naming the database, when DATABASE_URL is unreachable', async () => {
    const started = Date.now();
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    });
    const code = await orchestrator.exited();
    assert.notEqual(code, 0);
    assert.ok(Date.now() - started < 15_000, 'no retry loop');
    assert.match(orchestrator.output(), /Cannot reach PostgreSQL at nobody@127\.0\.0\.1:1\/x/);
    assert.doesNotMatch(orchestrator.output(), /\n\s+at /, 'no stack trace');
  });

  it('refuses bad configuration with one line per problem', async () => {
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: 'not-a-url',
      KAFKA_BROKERS: '',
      PORT: '99999',
      SKALD_MIGRATIONS_RUN: 'perhaps',
    });
    assert.equal(await orchestrator.exited(), 2);
    const lines = orchestrator
      .output()
      .split('\n')
      .filter((l) => l.trim().startsWith('- '));
    assert.deepEqual(
      lines.map((l) => l.trim().split(' ')[1]),
      ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT', 'SKALD_MIGRATIONS_RUN'],
    );
  });

  it('refuses bad per-participant limits, naming the participant and the field', async () => {
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      KAFKA_BROKERS: '127.0.0.1:1',
      SKALD_PARTICIPANT_LIMITS: '{"cars":{"maxInFlight":0},"hotels":{"breaker":{"openMS":5}}}',
    });
    assert.equal(await orchestrator.exited(), 2);
    const output = orchestrator.output();
    assert.match(
      output,
      /- SKALD_PARTICIPANT_LIMITS: participant "cars": maxInFlight must be an integer between 1 and 1000000/,
    );
    assert.match(
      output,
      /- SKALD_PARTICIPANT_LIMITS: participant "hotels": breaker: unknown field "openMS" \(known: failureThreshold, openMs, halfOpenProbes\)/,
    );
  });

  it('refuses a definition registered twice with one line and exit code 2', async () => {
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      KAFKA_BROKERS: '127.0.0.1:1',
      SKALD_SAGAS: join(__dirname, '../fixtures/registered-twice.ts'),
    });
    assert.equal(await orchestrator.exited(), 2);
    assert.match(
      orchestrator.output(),
      /skald: saga "registered-twice" v1 is registered twice with different definitions; bump the version/,
    );
    assert.doesNotMatch(orchestrator.output(), /\n\s+at /, 'no stack trace');
  });

  describe('with reachable servers', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase();
    });
    after(async () => {
      await db.drop();
    });

    it('runs the migrations before serving, unless SKALD_MIGRATIONS_RUN=false', async () => {
      const env = { DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS };
      const skipping = await spawnOrchestrator({ ...env, SKALD_MIGRATIONS_RUN: 'false' });
      await waitForHttp(`${skipping.url}/health`, { process: skipping });
      assert.equal(await migrationCount(db.url), null, 'no migrations table yet');
      assert.equal(await skipping.stop(), 0);

      const migrating = await spawnOrchestrator(env);
      await waitForHttp(`${migrating.url}/health`, { process: migrating });
      assert.ok(((await migrationCount(db.url)) ?? 0) >= 1);
      assert.equal(await migrating.stop(), 0);
    });
  });
});

async function migrationCount(url: string): Promise<number | null> {
  const client = new Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string | null }>(
      "SELECT to_regclass('public.skald_migrations')::text AS table",
    );
    if (!rows[0].table) return null;
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM skald_migrations'))
      .rows[0].n;
  } finally {
    await client.end();
  }
}
