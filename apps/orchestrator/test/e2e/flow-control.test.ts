import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  waitUntil,
  type ScriptedParticipant,
} from '@skald/testing';

const sagas = [join(__dirname, '../fixtures/flow-sagas.ts')];

interface ParticipantView {
  name: string;
  breaker: { state: string; consecutiveFailures: number };
  inFlight: number;
  queued: number;
}

async function participant(skald: OrchestratorHarness, name: string) {
  const res = await skald.request<{ items: ParticipantView[] }>('GET', '/v1/participants');
  assert.equal(res.status, 200);
  return res.body.items.find((p) => p.name === name);
}

async function startMany(skald: OrchestratorHarness, type: string, n: number) {
  return Promise.all(Array.from({ length: n }, (_, i) => skald.startSaga(type, { i })));
}

async function waitAll(
  skald: OrchestratorHarness,
  ids: string[],
  status: string,
  timeoutMs = 60_000,
) {
  await Promise.all(ids.map((id) => skald.waitForStatus(id, status, timeoutMs)));
}

describe('one hung participant (bulkhead + circuit breaker, shared through Postgres)', () => {
  const MAX_IN_FLIGHT = 3;
  let skald: OrchestratorHarness;
  let slowpoke: ScriptedParticipant;
  let speedy: ScriptedParticipant;
  let hung = true;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas,
      env: {
        SKALD_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
        SKALD_BREAKER_FAILURES: '3',
        SKALD_BREAKER_OPEN_MS: '1500',
        SKALD_BREAKER_PROBES: '1',
      },
    });
    const common = { brokers: skald.brokers, topicPrefix: skald.topicPrefix };
    slowpoke = await startScriptedParticipant({
      ...common,
      name: 'slowpoke',
      answer: () => (hung ? { outcome: 'none' } : { outcome: 'success', data: { ok: true } }),
    });
    speedy = await startScriptedParticipant({
      ...common,
      name: 'speedy',
      answer: () => ({ outcome: 'success', data: { ok: true } }),
    });
  });
  after(async () => {
    await Promise.all([slowpoke.stop(), speedy.stop()]);
    await skald.stop();
  });

  it('others complete while it hangs; it never gets more than its bulkhead; its breaker opens, then closes when it recovers', async (t) => {
    // the healthy speed of speedy, for comparison in the log (a figure, not an assertion)
    let startedAt = Date.now();
    await waitAll(
      skald,
      (await startMany(skald, 'call-speedy', 30)).map((s) => s.id),
      'completed',
    );
    const healthyMs = Date.now() - startedAt;

    const slow = await startMany(skald, 'call-slowpoke', 12);
    let maxInFlight = 0;
    const watch = setInterval(() => {
      void participant(skald, 'slowpoke').then((p) => {
        maxInFlight = Math.max(maxInFlight, p?.inFlight ?? 0);
      });
    }, 50);
    try {
      // timeouts of three sagas in a row open the breaker; the queued sagas say why they wait
      await waitUntil(
        async () => (await participant(skald, 'slowpoke'))?.breaker.state === 'open',
        {
          what: "slowpoke's breaker to open",
        },
      );
      const waiting = await Promise.all(slow.map((s) => skald.saga(s.id)));
      const reasons = waiting.map(
        (s) => (s.steps[0] as { waiting?: { reason: string } }).waiting?.reason,
      );
      assert.ok(reasons.includes('circuit-open'), `waiting reasons: ${reasons.join(', ')}`);

      startedAt = Date.now();
      const quick = await startMany(skald, 'call-speedy', 30);
      await waitAll(
        skald,
        quick.map((s) => s.id),
        'completed',
      );
      const duringHangMs = Date.now() - startedAt;
      t.diagnostic(
        `30 sagas on a healthy participant: ${healthyMs} ms before, ${duringHangMs} ms while another hangs`,
      );

      const stillRunning = await Promise.all(slow.map((s) => skald.saga(s.id)));
      assert.ok(
        stillRunning.every((s) => s.status === 'running'),
        'the hung sagas wait, they do not fail',
      );
      assert.ok(
        slowpoke.received.length < slow.length,
        `a hung participant gets a bounded trickle, not every saga's retries: ${slowpoke.received.length} commands`,
      );
    } finally {
      clearInterval(watch);
    }
    assert.ok(maxInFlight <= MAX_IN_FLIGHT, `in flight to slowpoke peaked at ${maxInFlight}`);
    assert.ok(maxInFlight >= 1);

    hung = false;
    await waitUntil(
      async () => (await participant(skald, 'slowpoke'))?.breaker.state === 'closed',
      {
        timeoutMs: 20_000,
        what: "slowpoke's breaker to close after it recovered",
      },
    );
    await waitAll(
      skald,
      slow.map((s) => s.id),
      'completed',
    );
    assert.ok(
      (await skald.counter('skald_breaker_transitions_total', {
        participant: 'slowpoke',
        to: 'open',
      })) >= 1,
    );
    assert.ok(
      (await skald.counter('skald_breaker_transitions_total', {
        participant: 'slowpoke',
        to: 'closed',
      })) >= 1,
    );
    assert.equal(
      await skald.counter('skald_breaker_transitions_total', { participant: 'speedy' }),
      0,
    );
    const after = await participant(skald, 'slowpoke');
    assert.deepEqual(
      { inFlight: after?.inFlight, queued: after?.queued },
      { inFlight: 0, queued: 0 },
    );
  });
});

describe('one saga failing over and over (the breaker counts distinct operations)', () => {
  const THRESHOLD = 3;
  let skald: OrchestratorHarness;
  let ledger: ScriptedParticipant;
  // the bad record: refused at posting, and its release keeps failing until it is fixed
  let broken = true;
  const poisonReleases = () =>
    ledger.received.filter((c) => c.command === 'release' && c.step === 'reserve').length;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/poison-sagas.ts')],
      env: {
        SKALD_BREAKER_FAILURES: String(THRESHOLD),
        // long enough that an open breaker would hold the other sagas back past their deadline
        SKALD_BREAKER_OPEN_MS: '60000',
      },
    });
    ledger = await startScriptedParticipant({
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      name: 'ledger',
      answer: (c) => {
        const poison = (c.data as { account: string }).account === 'poison';
        if (poison && c.command === 'post') return { outcome: 'failure', code: 'REJECTED' };
        if (poison && c.command === 'release' && broken) return { outcome: 'error', code: 'BUG' };
        return { outcome: 'success', data: {} };
      },
    });
  });
  after(async () => {
    await ledger.stop();
    await skald.stop();
  });

  it("one saga's compensation failing many times does not open its participant's breaker", async (t) => {
    const poison = await skald.startSaga('post-entry', { account: 'poison' });
    // its failures come back to back, with nothing healthy between them
    await waitUntil(
      async () =>
        poisonReleases() >= 2 * THRESHOLD ||
        (await participant(skald, 'ledger'))?.breaker.state !== 'closed',
      { what: `${2 * THRESHOLD} failed releases of the poisoned saga` },
    );
    const view = await participant(skald, 'ledger');
    assert.deepEqual(
      { state: view?.breaker.state, consecutiveFailures: view?.breaker.consecutiveFailures },
      { state: 'closed', consecutiveFailures: 1 },
      `after ${poisonReleases()} failed releases of one saga`,
    );

    const releasesBefore = poisonReleases();
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, i) => skald.startSaga('post-entry', { account: `a${i}` })),
    );
    await waitAll(
      skald,
      others.map((s) => s.id),
      'completed',
      30_000,
    );
    assert.ok(
      poisonReleases() > releasesBefore,
      'the poisoned saga kept failing while the others ran',
    );
    assert.equal((await skald.saga(poison.id)).status, 'compensating');

    broken = false;
    await skald.waitForStatus(poison.id, 'compensated');
    t.diagnostic(`the poisoned saga's release failed ${poisonReleases() - 1} times`);
    assert.equal(
      await skald.counter('skald_breaker_transitions_total', { participant: 'ledger', to: 'open' }),
      0,
    );
    const end = await participant(skald, 'ledger');
    assert.deepEqual(end?.breaker, { state: 'closed', consecutiveFailures: 0 });
  });
});

describe('fail-fast breaker', () => {
  let skald: OrchestratorHarness;
  let flaky: ScriptedParticipant;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas,
      env: {
        SKALD_BREAKER_MODE: 'fail-fast',
        SKALD_BREAKER_FAILURES: '3',
        SKALD_BREAKER_OPEN_MS: '600000',
      },
    });
    flaky = await startScriptedParticipant({
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      name: 'flaky',
      answer: () => ({ outcome: 'error', code: 'DOWN' }),
    });
  });
  after(async () => {
    await flaky.stop();
    await skald.stop();
  });

  it('while the breaker is open, commands are not sent: they fail at once with CIRCUIT_OPEN', async () => {
    // three sagas failing open it (retries of one saga's step count once), one after another:
    // a retry already queued in the outbox when it opens would wait for half-open, not fail fast
    for (let i = 0; i < 3; i++) {
      await skald.waitForStatus((await skald.startSaga('call-flaky', { i })).id, 'compensated');
    }
    assert.equal((await participant(skald, 'flaky'))?.breaker.state, 'open');

    const received = flaky.received.length;
    const refused = await skald.startSaga('call-flaky', {});
    const done = await skald.waitForStatus(refused.id, 'compensated');
    assert.equal(flaky.received.length, received, 'nothing was sent to the open participant');
    const error = done.steps[0].error as {
      code: string;
      details?: { lastError?: { code: string } };
    };
    assert.equal(error.code, 'RETRIES_EXHAUSTED');
    assert.equal(error.details?.lastError?.code, 'CIRCUIT_OPEN');
    assert.equal(done.steps[0].attempts, 3, 'each attempt was refused, per the retry policy');
  });
});

describe('retry budget', () => {
  let skald: OrchestratorHarness;
  let retrier: ScriptedParticipant;
  let db: Client;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas,
      env: { SKALD_RETRIES_PER_SECOND: '5', SKALD_BREAKER_FAILURES: '1000' },
    });
    retrier = await startScriptedParticipant({
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      name: 'retrier',
      // each saga succeeds at its fourth attempt
      answer: (c) => (c.attempt < 4 ? { outcome: 'error', code: 'BUSY' } : { outcome: 'success' }),
    });
    db = new Client(skald.db.url);
    await db.connect();
  });
  after(async () => {
    await db.end();
    await retrier.stop();
    await skald.stop();
  });

  it('retries to one participant stay within the configured rate', async (t) => {
    const started = await startMany(skald, 'call-retrier', 8);
    await waitAll(
      skald,
      started.map((s) => s.id),
      'completed',
    );
    const { rows } = await db.query<{ at: Date }>(
      `SELECT dispatched_at AS at FROM skald.step_execution
       WHERE participant = 'retrier' AND attempt > 1 ORDER BY dispatched_at`,
    );
    assert.equal(rows.length, 8 * 3);
    // a bucket of one second's worth (5), refilled at 5/s: at most 5 + 5 in any one-second window
    const times = rows.map((r) => r.at.getTime());
    const busiest = Math.max(
      ...times.map((t0) => times.filter((t) => t >= t0 && t < t0 + 1_000).length),
    );
    assert.ok(busiest <= 10, `${busiest} retries sent within one second`);
    const spanMs = times[times.length - 1] - times[0];
    t.diagnostic(`24 retries spread over ${spanMs} ms at 5 retries/s (busiest second: ${busiest})`);
  });
});
