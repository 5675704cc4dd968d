import { describe, it } from 'node:test';
import { crashCase } from './transfer-crash';

/**
 * A bank (2PC participant) SIGKILLed at each protocol point, then restarted: both banks end the
 * same way, none stays prepared, and the money is conserved.
 */
describe('money transfer: a participant SIGKILLed at each 2PC point', () => {
  it('before voting', () => crashCase('twopc:participant-before-vote', 'bank-b', 100));
  it('after writing its prepare log, before replying', () =>
    crashCase('twopc:participant-after-prepare-log', 'bank-b', 100));
  it('after writing its prepare log, past the prepare timeout: the YES comes too late, all abort', () =>
    crashCase('twopc:participant-after-prepare-log', 'bank-b', 100, 2_000));
  it('after receiving COMMIT, before applying it', () =>
    crashCase('twopc:participant-after-decision-received', 'bank-b', 100));
  it('after receiving ABORT, before applying it', () =>
    crashCase('twopc:participant-after-decision-received', 'bank-b', 5_000));
});
