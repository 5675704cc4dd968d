// /metrics of a real orchestrator process after trip sagas that complete, compensate, time out and
// fail: every histogram agrees with what the database recorded (counts exactly, sums to the
// microsecond), and the gauges with the database's state.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  parsePrometheusText,
  sampleValue,
  waitUntil,
  type ScriptedAnswer,
  type ScriptedParticipant,
  type Scrape,
} from '@skald/testing';

const PARTICIPANTS = ['cars', 'hotels', 'flights', 'payments'] as const;
type Participant = (typeof PARTICIPANTS)[number];

/** How each kind of trip answers, by participant (unlisted: success). */
const TRIPS: Record<
  string,
  Partial<Record<Participant, (c: CommandEnvelope) => ScriptedAnswer>>
> = {
  completes: {},
  refused: { flights: () => ({ outcome: 'failure', code: 'NO_SEATS' }) },
  // both attempts at the hotel time out (1.5 s each); then it is compensated
  silent: { hotels: (c) => (c.phase === 'execute' ? { outcome: 'none' } : ok()) },
  // the hotel's cancel keeps failing: the compensation gives up, the saga is failed
  stuck: {
    flights: () => ({ outcome: 'failure', code: 'NO_SEATS' }),
    hotels: (c) => (c.phase === 'compensate' ? { outcome: 'error', code: 'DB_DOWN' } : ok()),
  },
};
const ok = (): ScriptedAnswer => ({ outcome: 'success', data: { id: 'x' } });

/** Saga id → its kind of trip (compensations carry no input, so answers look it up by saga). */
const kindOf = new Map<string, string>();

describe('/metrics of an orchestrator process (real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<Participant, ScriptedParticipant>;
  let db: Client;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/trip-sagas.ts')],
    });
    participants = await skald.scriptedParticipants(PARTICIPANTS, (name) => (command) => {
      const kind = (command.data as { customer?: string } | null)?.customer;
      if (kind) kindOf.set(command.sagaId, kind);
      const answer = TRIPS[kindOf.get(command.sagaId) ?? 'completes'][name];
      return answer ? answer(command) : ok();
    });
    db = new Client(skald.db.url);
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await Promise.all(Object.values(participants ?? {}).map((p) => p.stop()));
    await skald?.stop();
  });

  const scrape = async (): Promise<Scrape> => {
    const res = await skald.request<string>('GET', '/metrics');
    assert.equal(res.status, 200);
    const parsed = parsePrometheusText(res.body);
    // prom-client's default metrics aside (its event loop lag is NaN until it has samples)
    const nan = parsed.samples.filter(
      (x) => Number.isNaN(x.value) && !/^skald_(nodejs|process)_/.test(x.name),
    );
    assert.deepEqual(nan, [], 'no sample of Skald is NaN');
    return parsed;
  };
  const rows = async <T>(sql: string): Promise<T[]> => (await db.query(sql)).rows as T[];

  it('times every saga, step attempt and publish as the database recorded them, and gauges its state', async () => {
    const started = Date.now();
    const silent = await skald.startSaga('book-trip', { customer: 'silent' });

    // while the silent hotel keeps it running: the running gauge and the oldest saga's age see it
    await waitUntil(
      async () => {
        const s = await scrape();
        const age = sampleValue(s, 'skald_oldest_running_saga_age_seconds');
        return (
          sampleValue(s, 'skald_sagas', { status: 'running' }) === 1 &&
          age > 0.2 &&
          age <= (Date.now() - started) / 1000
        );
      },
      { what: 'one running saga, its age between 0.2 s and the time since it started' },
    );

    const plan = { completes: 4, refused: 2, stuck: 1 };
    const sagas = await Promise.all(
      Object.entries(plan).flatMap(([customer, n]) =>
        Array.from({ length: n }, () => skald.startSaga('book-trip', { customer })),
      ),
    );
    await skald.waitForStatus(silent.id, 'compensated');
    for (const saga of sagas) {
      const status = { completes: 'completed', refused: 'compensated', stuck: 'failed' }[
        (saga.input as { customer: keyof typeof plan }).customer
      ];
      await skald.waitForStatus(saga.id, status);
    }

    // the gauges are read at most once a second, the lag at most every 5 s: poll (and a relay
    // round may commit after the reply to its command was applied: wait for every command)
    let s = await scrape();
    await waitUntil(
      async () => {
        s = await scrape();
        const [{ n: commands }] = await rows<{ n: number }>(
          'SELECT count(*)::int AS n FROM skald.step_execution',
        );
        return (
          sampleValue(s, 'skald_outbox_published_total') === commands &&
          sampleValue(s, 'skald_sagas', { status: 'running' }) === 0 &&
          sampleValue(s, 'skald_sagas', { status: 'failed' }) === 1 &&
          sampleValue(s, 'skald_outbox_backlog') === 0 &&
          sampleValue(s, 'skald_reply_consumer_lag') === 0
        );
      },
      { what: 'every command published, none running, one failed, outbox and lag 0' },
    );
    const wallSeconds = (Date.now() - started) / 1000;

    // saga durations: by type and final status, one per saga, summing the database's times
    const ended = await rows<{ status: string; n: number; seconds: number }>(
      `SELECT status, count(*)::int AS n, sum(extract(epoch FROM ended_at - created_at))::float8 AS seconds
       FROM skald.saga_instance GROUP BY status ORDER BY status`,
    );
    assert.deepEqual(
      ended.map((r) => [r.status, r.n]),
      [
        ['compensated', 3],
        ['completed', 4],
        ['failed', 1],
      ],
    );
    for (const { status, n, seconds } of ended) {
      const labels = { type: 'book-trip', status };
      assert.equal(sampleValue(s, 'skald_saga_duration_seconds_count', labels), n, status);
      assert.equal(sampleValue(s, 'skald_sagas_finished_total', labels), n, status);
      const sum = sampleValue(s, 'skald_saga_duration_seconds_sum', labels);
      assert.ok(Math.abs(sum - seconds) < 1e-6, `${status}: ${sum} s, the database ${seconds} s`);
      assert.ok(sum > 0 && sum <= n * wallSeconds, `${status}: ${sum} s in ${wallSeconds} s`);
    }

    // step durations: one per attempt, from sent_at to the reply (replied_at) or the timeout
    // (released_at of a command never answered), by participant, step, phase and outcome
    const attempts = await rows<{
      participant: string;
      step: string;
      phase: string;
      outcome: string;
      n: number;
      seconds: number;
    }>(
      `SELECT participant, step, phase, COALESCE(outcome, 'timeout') AS outcome, count(*)::int AS n,
              sum(extract(epoch FROM COALESCE(replied_at, released_at) - sent_at))::float8 AS seconds
       FROM skald.step_execution GROUP BY 1, 2, 3, 4`,
    );
    assert.deepEqual([...new Set(attempts.map((a) => a.outcome))].sort(), [
      'error',
      'failure',
      'success',
      'timeout',
    ]);
    assert.equal(attempts.find((a) => a.outcome === 'timeout')?.n, 2, 'the silent hotel, twice');
    for (const { n, seconds, ...labels } of attempts) {
      const what = JSON.stringify(labels);
      assert.equal(sampleValue(s, 'skald_step_duration_seconds_count', labels), n, what);
      const sum = sampleValue(s, 'skald_step_duration_seconds_sum', labels);
      assert.ok(Math.abs(sum - seconds) < 1e-6, `${what}: ${sum} s, the database ${seconds} s`);
    }
    const attemptCount = attempts.reduce((total, a) => total + a.n, 0);
    assert.equal(sampleValue(s, 'skald_step_duration_seconds_count'), attemptCount);

    // every command was published, its age observed at each publish: more than once only when a
    // relay round rolled back after Kafka acknowledged it (its records are then published again)
    const published = sampleValue(s, 'skald_outbox_age_at_publish_seconds_count');
    assert.equal(sampleValue(s, 'skald_outbox_published_total'), attemptCount);
    if (published !== attemptCount) {
      assert.ok(published > attemptCount, `${published} publishes of ${attemptCount} commands`);
      assert.match(skald.process.output(), /outbox relay failed/, 'a relay round rolled back');
    }
    const waited = sampleValue(s, 'skald_outbox_age_at_publish_seconds_sum');
    assert.ok(waited > 0 && waited <= published * wallSeconds, `${waited} s in the outbox`);

    // reply → next command: one per reply whose transaction queued a command (its replied_at is
    // that transaction's time, as is the sent_at of the commands it queued)
    const [{ n: queuing }] = await rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM skald.step_execution r
       WHERE r.outcome IS NOT NULL AND EXISTS (
         SELECT 1 FROM skald.step_execution c WHERE c.saga_id = r.saga_id AND c.sent_at = r.replied_at)`,
    );
    assert.ok(queuing >= 4 * 3, `${queuing}: at least 3 per completed saga`);
    assert.equal(sampleValue(s, 'skald_reply_to_command_seconds_count'), queuing);
    const engine = sampleValue(s, 'skald_reply_to_command_seconds_sum');
    assert.ok(engine > 0 && engine <= queuing * wallSeconds, `${engine} s from reply to command`);

    // the state gauges match the database; statuses that only grow are not gauged
    const [{ n: failed }] = await rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM skald.saga_instance WHERE status = 'failed'`,
    );
    assert.equal(sampleValue(s, 'skald_sagas', { status: 'failed' }), failed);
    assert.equal(sampleValue(s, 'skald_sagas', { status: 'compensating' }), 0);
    assert.equal(
      s.samples.filter((x) => x.name === 'skald_sagas' && x.labels.status === 'completed').length,
      0,
    );
    assert.equal(sampleValue(s, 'skald_oldest_running_saga_age_seconds'), 0);
    assert.equal(sampleValue(s, 'skald_outbox_oldest_age_seconds'), 0);
    for (const [name, type] of [
      ['skald_saga_duration_seconds', 'histogram'],
      ['skald_step_duration_seconds', 'histogram'],
      ['skald_reply_to_command_seconds', 'histogram'],
      ['skald_outbox_age_at_publish_seconds', 'histogram'],
      ['skald_sagas', 'gauge'],
      ['skald_reply_consumer_lag', 'gauge'],
    ])
      assert.equal(s.types.get(name), type, name);
  });
});
