import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeCommand, HEADERS } from '@skald/protocol';
import { waitUntil, type RawRecord } from '@skald/testing';
import { incompressible, PoisonRig } from './fixtures/poison-rig';

describe('participant SDK: a poison command is dead-lettered and the partition moves on', () => {
  const p = new PoisonRig();
  before(() => p.start());
  after(() => p.stop());

  /** Sends `poison` and a good command behind it; the good one must be answered. */
  async function poisonThenGood(poison: RawRecord) {
    const good = p.good();
    const [offset] = await p.send(poison, good.record);
    const [reply] = await p.rig.waitForReplies(good.command.id);
    assert.equal(reply.outcome, 'success', 'the command behind the poison ran');
    const parked = await p.deadLetterAt(offset);
    assert.ok(parked, `the poison at offset ${offset} was dead-lettered`);
    assert.equal(p.participant.health().status, 'up');
    return parked.reason;
  }

  it('U+0000 in a payload string (jsonb refuses it): parked as malformed and answered failure', async () => {
    const command = p.command({ data: { model: 'mini', note: 'a\u0000b' } });
    const reason = await poisonThenGood(encodeCommand(command));
    assert.match(reason, /malformed command: value has a string with U\+0000/);
    const [answer] = await p.rig.waitForReplies(command.id);
    assert.equal(answer.outcome, 'failure');
    assert.equal((answer.data as { code: string }).code, 'MALFORMED_MESSAGE');
    assert.equal(await p.carsOf(command.sagaId), 0, 'the handler did not run');
  });

  it('a ce_replyto that is not a Kafka topic name: parked, the handler never runs', async () => {
    const command = p.command({ replyTo: 'replies for/me' });
    const reason = await poisonThenGood(encodeCommand(command));
    assert.match(reason, /header ce_replyto must be a Kafka topic name/);
    assert.equal(await p.carsOf(command.sagaId), 0);
  });

  it('a header over 1 KiB (a step name too long for the inbox index): parked with its length', async () => {
    const command = p.command({ step: incompressible(4_000) });
    const reason = await poisonThenGood(encodeCommand(command));
    assert.match(reason, /header ce_sagastep is 4000 bytes long, at most 1024 allowed/);
    assert.equal(await p.carsOf(command.sagaId), 0);
  });

  it('a result PostgreSQL refuses to store (after the handler): parked with the pg error, nothing kept', async () => {
    const command = p.command({ data: { model: 'mini', label: 'xNULy' } });
    const reason = await poisonThenGood(encodeCommand(command));
    assert.match(
      reason,
      /cannot process command: error 22P05: unsupported Unicode escape sequence/,
    );
    assert.equal(await p.carsOf(command.sagaId), 0, "the handler's writes rolled back");
    assert.equal(
      p.rig.replies.filter((r) => r.correlationId === command.id).length,
      0,
      'unanswered: the orchestrator times the step out',
    );
  });

  it('a reply Kafka refuses (over its size limit, after the commit): parked, the effect stays once', async () => {
    const command = p.command({ data: { model: 'mini', big: true } });
    const reason = await poisonThenGood(encodeCommand(command));
    assert.match(
      reason,
      /cannot process command: KafkaJSProtocolError: .*larger than the max message size/,
    );
    assert.equal(await p.carsOf(command.sagaId), 1, 'committed before the reply failed, once');
    assert.equal(p.rig.replies.filter((r) => r.correlationId === command.id).length, 0);
  });

  it('a database that is down is waited for, not a reason to dead-letter', async () => {
    const parkedBefore = p.rig.deadLetters.length;
    p.unreachable = true;
    const refusedBefore = p.refusedConnects;
    const command = p.command();
    await p.send(encodeCommand(command));
    // kafkajs retries the message with backoff meanwhile; give it a few rounds
    await waitUntil(() => p.refusedConnects >= refusedBefore + 3, {
      what: 'three tries of the command to find the database down',
    });
    assert.equal(p.rig.replies.filter((r) => r.correlationId === command.id).length, 0);
    p.unreachable = false;
    const [reply] = await p.rig.waitForReplies(command.id, 1, 60_000);
    assert.equal(reply.outcome, 'success');
    assert.equal(p.rig.deadLetters.length, parkedBefore, 'nothing was dead-lettered');
    assert.equal(await p.carsOf(command.sagaId), 1);
  });

  it('keeps the headers and value of a dead letter as they came', async () => {
    const command = p.command({ data: { model: 'mini', note: '\u0000' } });
    const record = encodeCommand(command);
    const [offset] = await p.send(record);
    const letter = await p.deadLetterAt(offset);
    assert.ok(letter);
    assert.equal(letter.message.value?.toString(), record.value);
    assert.equal(letter.message.headers?.[HEADERS.id]?.toString(), command.id);
    assert.equal(letter.message.headers?.[HEADERS.replyTo]?.toString(), command.replyTo);
  });
});
