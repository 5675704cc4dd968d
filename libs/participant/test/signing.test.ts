// The SDK with `signing` (#16 item 3): a command without a valid signature is dead-lettered with a
// log line, never run and never answered (an answer would carry this participant's signature);
// a signed one runs and its reply is signed with the first key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createParticipant,
  ParticipantConfigError,
  type Participant,
  type SigningKey,
} from '@skald/participant';
import {
  commandTopic,
  encodeCommand,
  HEADERS,
  verifySignature,
  withSignature,
  type CommandEnvelope,
} from '@skald/protocol';
import { waitUntil } from '@skald/testing';
import { CommandRig } from './command-bench';

const key = (id: string): SigningKey => ({ id, secret: randomBytes(32).toString('base64url') });
const NEW = key('new');
const OLD = key('old');

describe('participant SDK with signing: verifies commands, signs replies', () => {
  const rig = new CommandRig();
  const log: string[] = [];
  /** The saga ids whose reserve handler ran. */
  const ran: string[] = [];
  let cars: Participant;
  before(async () => {
    await rig.start();
    cars = createParticipant({
      name: 'cars',
      kafka: { brokers: rig.brokers },
      topicPrefix: rig.prefix,
      signing: { keys: [NEW, OLD] },
      log: (line) => log.push(line),
    }).on('reserve', (_payload, { sagaId }) => {
      ran.push(sagaId);
      return { id: 'car-1' };
    });
    await cars.start();
  });
  after(async () => {
    await cars.stop();
    await rig.stop();
  });

  const record = (command: CommandEnvelope, signWith?: SigningKey) => {
    const encoded = encodeCommand(command);
    return signWith ? { ...encoded, headers: withSignature(encoded, signWith) } : encoded;
  };

  /** Sends `bad` and a signed command behind it on one partition; the signed one must run. */
  async function refusedThenGood(bad: ReturnType<typeof record>): Promise<string> {
    const good = rig.command('cars');
    const [offset] = await rig.sendRaw(
      'cars',
      { ...bad, partition: 0 },
      { ...record(good, NEW), partition: 0 },
    );
    await rig.waitForReplies(good.id);
    const topic = commandTopic(rig.prefix, 'cars');
    const find = () =>
      rig.deadLetters.find(
        (d) =>
          d.message.headers?.skald_dlq_topic?.toString() === topic &&
          d.message.headers?.skald_dlq_offset?.toString() === offset,
      );
    await waitUntil(() => find() !== undefined, { what: `a dead letter of offset ${offset}` });
    const letter = find()!;
    return letter.reason;
  }

  const answersTo = (id: string) => rig.replies.filter((r) => r.correlationId === id).length;

  it('an unsigned command is dead-lettered, not run and not answered; the signed one behind it runs', async () => {
    const unsigned = rig.command('cars');
    const reason = await refusedThenGood(record(unsigned));
    assert.equal(
      reason,
      'refused command, signature check failed (missing): no ce_signature header',
    );
    assert.ok(!ran.includes(unsigned.sagaId), 'its handler did not run');
    assert.equal(answersTo(unsigned.id), 0, 'unanswered');
    assert.ok(
      log.some((line) => line.includes(reason)),
      'one log line says so',
    );
  });

  it('a command signed with another secret, or with a key id it does not have, is refused the same way', async () => {
    const forged = rig.command('cars');
    assert.match(
      await refusedThenGood(record(forged, { id: NEW.id, secret: OLD.secret })),
      /\(bad-signature\): the signature does not match \(key new\)/,
    );
    const unknown = rig.command('cars');
    assert.match(
      await refusedThenGood(record(unknown, key('other'))),
      /\(unknown-key\): ce_signature names key id "other"/,
    );
    assert.ok(!ran.includes(forged.sagaId) && !ran.includes(unknown.sagaId));
    assert.equal(answersTo(forged.id) + answersTo(unknown.id), 0);
  });

  it('a malformed unsigned command that reuses a real command id gets no (signed) failure reply', async () => {
    const real = rig.command('cars');
    const malformed = record({ ...rig.command('cars'), id: real.id });
    malformed.headers = { ...malformed.headers, [HEADERS.attempt]: 'zero' };
    assert.match(await refusedThenGood(malformed), /\(missing\)/);
    assert.equal(answersTo(real.id), 0, 'nothing a forger could pass off as its answer');
  });

  it('runs a command signed with either key, and signs its reply with the first', async () => {
    for (const signWith of [NEW, OLD]) {
      const command = rig.command('cars');
      await rig.sendRaw('cars', record(command, signWith));
      const [reply] = await rig.waitForReplies(command.id);
      assert.equal(reply.outcome, 'success');
      const raw = rig.replyRecords.find(
        (r) => r.headers?.[HEADERS.correlationId]?.toString() === command.id,
      )!;
      assert.deepEqual(verifySignature(raw, [NEW]), { ok: true, keyId: 'new' });
      await waitUntil(() => ran.includes(command.sagaId));
    }
  });

  it('never logs a secret', () => {
    for (const { secret } of [NEW, OLD]) assert.ok(!log.join('\n').includes(secret));
  });

  it('refuses bad keys when created, naming the option and never the secret', () => {
    assert.throws(
      () =>
        createParticipant({
          name: 'cars',
          kafka: { brokers: rig.brokers },
          signing: { keys: [{ id: 'k1', secret: 'short' }] },
        }),
      (error: unknown) =>
        error instanceof ParticipantConfigError &&
        error.message ===
          'cars: signing.keys key 1 (k1): the secret must be 32-512 characters long',
    );
    assert.throws(
      () =>
        createParticipant({ name: 'cars', kafka: { brokers: rig.brokers }, signing: { keys: [] } }),
      /cars: signing.keys: no signing key given/,
    );
  });
});
