import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParticipantConfigError } from './errors';
import { createParticipant } from './participant';

describe('2PC handlers', () => {
  it('need a database: start() refuses, naming the option, before connecting anywhere', async () => {
    const bank = createParticipant({ name: 'bank', kafka: { brokers: ['127.0.0.1:1'] } })
      .onPrepare('debit', () => ({}))
      .onCommit('debit', () => ({}));
    await assert.rejects(
      bank.start(),
      (e: unknown) => e instanceof ParticipantConfigError && /need `database`/.test(e.message),
    );
  });

  it('are registered once per phase and command', () => {
    const bank = createParticipant({ name: 'bank', kafka: { brokers: ['127.0.0.1:1'] } });
    bank.onPrepare('debit', () => ({}));
    assert.throws(() => bank.onPrepare('debit', () => ({})), /a prepare handler for "debit"/);
    bank.onAbort('debit', () => ({}));
  });
});
