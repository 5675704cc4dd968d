// Flow control per participant (SKALD_PARTICIPANT_LIMITS) and breakers set by hand, against an
// orchestrator process, real Kafka and PostgreSQL.
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
const RATE = 5;
const NARROW_IN_FLIGHT = 2;
const GATED_OPEN_MS = 100;
/** A reply this long after its command keeps commands in flight, so bulkheads fill. */
const REPLY_AFTER_MS = 300;

interface ParticipantView {
  name: string;
  breaker: {
    state: string;
    openedAt?: string;
    manual?: { state: string; reason: string; actor: string; at: string };
  };
  inFlight: number;
  maxInFlight: number;
  queued: number;
  limits: { source: string; maxInFlight: number; ratePerSecond: number | null };
}

describe('flow control per participant', () => {
  let skald: OrchestratorHarness;
  let db: Client;
  const participants: Record<string, ScriptedParticipant> = {};

  async function view(name: string): Promise<ParticipantView | undefined> {
    const res = await skald.request<{ items: ParticipantView[] }>('GET', '/v1/participants');
    assert.equal(res.status, 200);
    return res.body.items.find((p) => p.name === name);
  }
  const startMany = (participant: string, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => skald.startSaga(`call-${participant}`, { i })));
  const completeAll = (ids: { id: string }[]) =>
    Promise.all(ids.map((s) => skald.waitForStatus(s.id, 'completed', 60_000)));
  /** When the participant's first attempts were sent (ms since epoch), in order. */
  async function firstAttemptsSent(participant: string): Promise<number[]> {
    const { rows } = await db.query<{ at: Date }>(
      `SELECT dispatched_at AS at FROM skald.step_execution
       WHERE participant = $1 AND attempt = 1 ORDER BY dispatched_at`,
      [participant],
    );
    return rows.map((r) => r.at.getTime());
  }
  const busiestSecond = (times: number[]) =>
    Math.max(...times.map((t0) => times.filter((t) => t >= t0 && t < t0 + 1_000).length));
  /** The highest `inFlight` GET /v1/participants showed for `name` while `work` ran. */
  async function peakInFlight(name: string, work: () => Promise<unknown>): Promise<number> {
    let peak = 0;
    const watch = setInterval(() => {
      void view(name).then((p) => (peak = Math.max(peak, p?.inFlight ?? 0)));
    }, 25);
    try {
      await work();
    } finally {
      clearInterval(watch);
    }
    return peak;
  }

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas,
      env: {
        SKALD_PARTICIPANT_LIMITS: JSON.stringify({
          narrow: { maxInFlight: NARROW_IN_FLIGHT },
          metered: { ratePerSecond: RATE },
          gated: { breaker: { openMs: GATED_OPEN_MS } },
        }),
      },
    });
    const common = { brokers: skald.brokers, topicPrefix: skald.topicPrefix };
    for (const name of ['narrow', 'metered', 'free', 'gated']) {
      const delayed = name === 'narrow' || name === 'free';
      const participant: ScriptedParticipant = await startScriptedParticipant({
        ...common,
        name,
        answer: (command) => {
          if (!delayed) return { outcome: 'success', data: {} };
          setTimeout(() => void participant.reply(command, { outcome: 'success' }), REPLY_AFTER_MS);
          return { outcome: 'none' };
        },
      });
      participants[name] = participant;
    }
    db = new Client(skald.db.url);
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald?.stop();
  });

  it('a participant with a bulkhead of its own never gets more; another one gets far more at once', async () => {
    const narrowPeak = await peakInFlight('narrow', async () =>
      completeAll(await startMany('narrow', 10)),
    );
    const freePeak = await peakInFlight('free', async () =>
      completeAll(await startMany('free', 10)),
    );
    assert.ok(narrowPeak <= NARROW_IN_FLIGHT, `in flight to narrow peaked at ${narrowPeak}`);
    assert.ok(narrowPeak >= 1);
    assert.ok(freePeak > NARROW_IN_FLIGHT, `in flight to free peaked at ${freePeak}`);
    const narrow = await view('narrow');
    assert.deepEqual(
      { max: narrow?.maxInFlight, source: narrow?.limits.source },
      { max: NARROW_IN_FLIGHT, source: 'participant' },
    );
    assert.equal((await view('free'))?.limits.source, 'global');
  });

  it('a rate limit of its own holds first attempts back; another participant is not throttled', async (t) => {
    const started = Date.now();
    await completeAll([...(await startMany('metered', 20)), ...(await startMany('free', 20))]);
    const metered = await firstAttemptsSent('metered');
    const free = (await firstAttemptsSent('free')).filter((at) => at >= started);
    assert.equal(metered.length, 20);
    assert.equal(free.length, 20);
    // a bucket of one second's worth, refilled at RATE/s: at most 2 × RATE in any one second
    assert.ok(busiestSecond(metered) <= 2 * RATE, `${busiestSecond(metered)} sent in one second`);
    const spanMs = metered[metered.length - 1] - metered[0];
    assert.ok(spanMs >= ((20 - RATE) / RATE - 1) * 1_000, `20 first attempts within ${spanMs} ms`);
    assert.ok(busiestSecond(free) > 2 * RATE, `free: ${busiestSecond(free)} in its busiest second`);
    t.diagnostic(`20 first attempts at ${RATE}/s spread over ${spanMs} ms`);
    assert.equal((await view('metered'))?.limits.ratePerSecond, RATE);
    assert.equal((await view('free'))?.limits.ratePerSecond, null);
  });

  it('opened by hand, a breaker holds commands past its openMs; closed by hand, it releases them', async () => {
    const open = await skald.request<ParticipantView>('POST', '/v1/participants/gated/breaker', {
      state: 'open',
      reason: 'gated maintenance, OPS-7',
    });
    assert.equal(open.status, 200, JSON.stringify(open.body));
    assert.equal(open.body.breaker.state, 'open');
    assert.deepEqual(
      { ...open.body.breaker.manual, at: undefined },
      { state: 'open', reason: 'gated maintenance, OPS-7', actor: 'anonymous', at: undefined },
    );

    const held = await startMany('gated', 3);
    const openedAt = Date.parse(open.body.breaker.openedAt ?? '');
    await waitUntil(async () => Date.now() - openedAt > 5 * GATED_OPEN_MS, {
      what: 'five times the breaker’s openMs',
    });
    // a saga on another participant completes meanwhile: the relay is running
    await completeAll(await startMany('free', 1));
    const waiting = await skald.saga(held[0].id);
    assert.equal(waiting.status, 'running');
    assert.equal(
      (waiting.steps[0] as { waiting?: { reason: string } }).waiting?.reason,
      'circuit-open',
    );
    assert.equal(participants.gated.received.length, 0, 'nothing was sent while open by hand');
    assert.equal((await view('gated'))?.breaker.state, 'open', 'no half-open probes');

    const closed = await skald.request<ParticipantView>('POST', '/v1/participants/gated/breaker', {
      state: 'closed',
      reason: 'maintenance over',
    });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.breaker.state, 'closed');
    assert.equal(closed.body.breaker.manual?.state, 'closed');
    await completeAll(held);
    assert.equal(participants.gated.received.length, 3);
  });

  it('refuses a bad breaker request with a 4xx naming the problem', async () => {
    const post = (name: string, body: unknown) =>
      skald.request<{ message: string }>('POST', `/v1/participants/${name}/breaker`, body);
    const ajar = await post('gated', { state: 'ajar', reason: 'x' });
    assert.equal(ajar.status, 400);
    assert.match(ajar.body.message, /state must be one of open, closed/);
    const silent = await post('gated', { state: 'open' });
    assert.equal(silent.status, 400);
    assert.match(silent.body.message, /reason/);
    const extra = await post('gated', { state: 'open', reason: 'x', until: 'tomorrow' });
    assert.equal(extra.status, 400);
    assert.match(extra.body.message, /property until should not exist/);
    const unknown = await post('gatd', { state: 'open', reason: 'x' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /unknown participant "gatd"; known participants: .*gated/);
    assert.equal((await view('gated'))?.breaker.state, 'closed', 'nothing changed');
  });
});
