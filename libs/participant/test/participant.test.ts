import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { BusinessRefusal, createParticipant, type Participant } from '@skald/participant';
import { HEADERS, encodeCommand } from '@skald/protocol';
import { createTestDatabase, waitUntil, type TestDatabase } from '@skald/testing';
import { CommandRig } from './command-bench';

describe('participant SDK with a database: effectively once, fenced, robust', () => {
  let db: TestDatabase;
  let pool: Pool;
  let rig: CommandRig;
  let cars: Participant;
  const calls = { reserve: 0, cancel: 0 };
  let release: (() => void) | undefined;
  let lastForward: unknown;

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url });
    await pool.query(
      'CREATE TABLE cars (id serial PRIMARY KEY, saga_id uuid NOT NULL, model text NOT NULL, cancelled boolean NOT NULL DEFAULT false)',
    );
    rig = new CommandRig();
    await rig.start();
    cars = createParticipant({
      name: 'cars',
      kafka: { brokers: rig.brokers },
      database: pool,
      createTables: true,
      topicPrefix: rig.prefix,
      shutdownTimeoutMs: 5_000,
      log: () => undefined,
    })
      .on('reserve', async (req: { model: string; hold?: boolean }, { tx, sagaId }) => {
        calls.reserve++;
        if (req.hold) await new Promise<void>((resolve) => (release = resolve));
        if (req.model === 'tank')
          throw new BusinessRefusal('NOT_FOR_RENT', 'tanks are not for rent');
        if (req.model === 'glitch') throw new Error('the fleet database blinked');
        const [row] = await tx!.query<{ id: number }>(
          'INSERT INTO cars (saga_id, model) VALUES ($1, $2) RETURNING id',
          [sagaId, req.model],
        );
        return { id: row.id };
      })
      .onCompensate('cancel', async (_req, { tx, sagaId, forward }) => {
        calls.cancel++;
        lastForward = forward;
        await tx!.query('UPDATE cars SET cancelled = true WHERE saga_id = $1', [sagaId]);
      });
    await cars.start();
  });
  after(async () => {
    await cars.stop();
    await rig.stop();
    await pool.end();
    await db.drop();
  });

  const carsOf = async (sagaId: string) =>
    (
      await pool.query<{ model: string; cancelled: boolean }>(
        'SELECT model, cancelled FROM cars WHERE saga_id = $1',
        [sagaId],
      )
    ).rows;

  it('runs a redelivered command once and answers both deliveries with the stored result', async () => {
    const before = calls.reserve;
    const command = rig.command('cars');
    await rig.send('cars', command, command);
    const replies = await rig.waitForReplies(command.id, 2);
    assert.deepEqual(
      replies.map((r) => r.outcome),
      ['success', 'success'],
    );
    assert.deepEqual(replies[0].data, replies[1].data);
    assert.equal(calls.reserve - before, 1);
    assert.equal((await carsOf(command.sagaId)).length, 1);
  });

  it('answers a later attempt of an executed step with attempt 1’s result, without running the handler', async () => {
    const first = rig.command('cars');
    await rig.send('cars', first);
    const [original] = await rig.waitForReplies(first.id);
    const before = calls.reserve;
    const retry = rig.command('cars', {
      sagaId: first.sagaId,
      step: first.step,
      attempt: 2,
      data: { model: 'other' },
    });
    await rig.send('cars', retry);
    const [again] = await rig.waitForReplies(retry.id);
    assert.deepEqual(again.data, original.data);
    assert.equal(calls.reserve, before);
    assert.deepEqual(
      (await carsOf(first.sagaId)).map((c) => c.model),
      ['mini'],
    );
  });

  it('stores a refusal without the handler’s writes; a transient error stores nothing, so the next attempt runs', async () => {
    const refused = rig.command('cars', { data: { model: 'tank' } });
    const glitch = rig.command('cars', { data: { model: 'glitch' } });
    await rig.send('cars', refused, glitch);
    const [no] = await rig.waitForReplies(refused.id);
    const [err] = await rig.waitForReplies(glitch.id);
    assert.equal(no.outcome, 'failure');
    assert.deepEqual(no.data, { code: 'NOT_FOR_RENT', message: 'tanks are not for rent' });
    assert.equal(err.outcome, 'error');
    assert.equal((err.data as { code: string }).code, 'HANDLER_ERROR');
    assert.deepEqual(await carsOf(refused.sagaId), []);
    // a transient error stores nothing: the next attempt of that step runs the handler again
    const before = calls.reserve;
    const attempt2 = rig.command('cars', { sagaId: glitch.sagaId, step: glitch.step, attempt: 2 });
    await rig.send('cars', attempt2);
    assert.equal((await rig.waitForReplies(attempt2.id))[0].outcome, 'success');
    assert.equal(calls.reserve - before, 1);
  });

  it('fences: a compensation before its command is recorded, and the late command is refused', async () => {
    const before = { ...calls };
    const command = rig.command('cars');
    const compensation = rig.command('cars', {
      sagaId: command.sagaId,
      step: command.step,
      phase: 'compensate',
      command: 'cancel',
      data: {},
    });
    await rig.send('cars', compensation);
    assert.equal((await rig.waitForReplies(compensation.id))[0].outcome, 'success');
    await rig.send('cars', command);
    const [late] = await rig.waitForReplies(command.id);
    assert.equal(late.outcome, 'failure');
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(calls, before, 'neither handler ran');
    assert.deepEqual(await carsOf(command.sagaId), []);
  });

  it('compensates an executed step once, however often the compensation arrives', async () => {
    const command = rig.command('cars');
    await rig.send('cars', command);
    await rig.waitForReplies(command.id);
    const before = calls.cancel;
    const cancel = (attempt: number) =>
      rig.command('cars', {
        sagaId: command.sagaId,
        step: command.step,
        phase: 'compensate',
        command: 'cancel',
        attempt,
        data: {},
      });
    const [c1, c2] = [cancel(1), cancel(2)];
    await rig.send('cars', c1, c2);
    await rig.waitForReplies(c2.id);
    assert.equal(calls.cancel - before, 1);
    assert.deepEqual(await carsOf(command.sagaId), [{ model: 'mini', cancelled: true }]);
  });

  it('hands a compensation the request and reply of the forward command it undoes', async () => {
    const command = rig.command('cars', { data: { model: 'estate' } });
    await rig.send('cars', command);
    const [reply] = await rig.waitForReplies(command.id);
    const cancel = rig.command('cars', {
      sagaId: command.sagaId,
      step: command.step,
      phase: 'compensate',
      command: 'cancel',
      data: {},
    });
    await rig.send('cars', cancel);
    await rig.waitForReplies(cancel.id);
    assert.deepEqual(lastForward, { request: { model: 'estate' }, reply: reply.data });
  });

  it('fences a step its saga gave up on: its command is refused from then on', async () => {
    const before = { ...calls };
    const command = rig.command('cars');
    const fence = (of: typeof command) =>
      rig.command('cars', {
        sagaId: of.sagaId,
        step: of.step,
        phase: 'fence',
        command: 'skald.fence',
        data: {},
      });
    const first = fence(command);
    await rig.send('cars', first, command);
    assert.deepEqual((await rig.waitForReplies(first.id))[0].data, { executed: false });
    const [late] = await rig.waitForReplies(command.id);
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(calls, before, 'no handler ran');

    // a fence after the step ran changes nothing, and says that it ran, with what it answered
    const ran = rig.command('cars');
    await rig.send('cars', ran);
    const [answered] = await rig.waitForReplies(ran.id);
    const after = fence(ran);
    await rig.send('cars', after);
    assert.deepEqual((await rig.waitForReplies(after.id))[0].data, {
      executed: true,
      reply: answered.data,
    });
  });

  it("runs an operator's retry (ce_steprun 2) of a refused step, and refuses run 1 afterwards", async () => {
    const refused = rig.command('cars', { data: { model: 'tank' } });
    await rig.send('cars', refused);
    assert.equal((await rig.waitForReplies(refused.id))[0].outcome, 'failure');
    const retry = rig.command('cars', {
      sagaId: refused.sagaId,
      step: refused.step,
      run: 2,
      data: { model: 'mini' },
    });
    await rig.send('cars', retry);
    assert.equal((await rig.waitForReplies(retry.id))[0].outcome, 'success');
    await rig.send('cars', { ...refused, data: { model: 'mini' } });
    const [, late] = await rig.waitForReplies(refused.id, 2);
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(
      (await carsOf(refused.sagaId)).map((c) => c.model),
      ['mini'],
    );
  });

  it('parks ten kinds of malformed command on the dead-letter topic, and keeps consuming', async () => {
    const good = encodeCommand(rig.command('cars'));
    const without = (header: string) => {
      const headers = { ...good.headers };
      delete headers[header];
      return { ...good, headers };
    };
    const withHeader = (header: string, value: string) => ({
      ...good,
      headers: { ...good.headers, [header]: value },
    });
    const bad = [
      { key: null, value: Buffer.from([0xff, 0x00, 0x13]) },
      without(HEADERS.id),
      without(HEADERS.sagaId),
      without(HEADERS.replyTo),
      withHeader(HEADERS.phase, 'explode'),
      withHeader(HEADERS.attempt, 'first'),
      withHeader(HEADERS.specVersion, '0.3'),
      withHeader(HEADERS.id, 'not-a-uuid'),
      { ...good, value: '{"model": ' },
      withHeader(HEADERS.type, 'teleport'),
    ];
    const parkedBefore = rig.deadLetters.length;
    await rig.sendRaw('cars', ...bad);
    const valid = rig.command('cars');
    await rig.send('cars', valid);
    assert.equal((await rig.waitForReplies(valid.id))[0].outcome, 'success');
    await waitUntil(() => rig.deadLetters.length >= parkedBefore + 10, {
      timeoutMs: 10_000,
      what: 'the ten bad records to be dead-lettered',
    });
    const reasons = rig.deadLetters.slice(parkedBefore).map((d) => d.reason);
    assert.equal(reasons.length, 10);
    for (const expected of [
      /missing header ce_specversion/,
      /missing header ce_id/,
      /missing header ce_sagaid/,
      /missing header ce_replyto/,
      /ce_phase must be one of/,
      /ce_attempt must be a positive integer/,
      /ce_specversion must be 1.0/,
      /ce_id must be a UUID/,
      /value is not valid JSON/,
      /no execute handler for "teleport"/,
    ]) {
      assert.ok(
        reasons.some((r) => expected.test(r)),
        `a dead letter says ${expected}: ${reasons.join(' | ')}`,
      );
    }
    // the failure answer follows its dead letter: wait for it, do not race it
    await waitUntil(
      () =>
        rig.replies.some(
          (r) =>
            r.correlationId === good.headers.ce_id &&
            r.outcome === 'failure' &&
            (r.data as { code: string }).code === 'UNKNOWN_COMMAND',
        ),
      { timeoutMs: 10_000, what: 'the failure answer UNKNOWN_COMMAND to the unknown command' },
    );
    assert.equal(cars.health().status, 'up');
  });

  it('finishes an in-flight handler on stop, within the shutdown timeout', async () => {
    const held = rig.command('cars', { data: { model: 'slow', hold: true } });
    await rig.send('cars', held);
    await waitUntil(() => release !== undefined, {
      timeoutMs: 10_000,
      what: 'the handler to start',
    });
    assert.ok(release, 'the handler started');
    const started = Date.now();
    const stopping = cars.stop();
    setTimeout(() => release!(), 300);
    await stopping;
    const took = Date.now() - started;
    assert.ok(took >= 250, `stop waited for the handler (${took} ms)`);
    assert.ok(took < 5_000, `and stayed within the shutdown timeout (${took} ms)`);
    const [reply] = await rig.waitForReplies(held.id);
    assert.equal(reply.outcome, 'success', 'the in-flight command was answered, nothing lost');
    assert.equal((await carsOf(held.sagaId)).length, 1);
    await cars.start();
  });
});
