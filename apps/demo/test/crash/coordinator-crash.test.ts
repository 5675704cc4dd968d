import { describe, it } from 'node:test';
import { crashCase } from './transfer-crash';

/**
 * The 2PC coordinator (the orchestrator process) SIGKILLed at each protocol point, then restarted:
 * the transfer still ends the same way at both banks, and the money is conserved.
 */
describe('money transfer: the coordinator SIGKILLed at each 2PC point', () => {
  it('after creating the transaction (prepares queued, not yet sent)', () =>
    crashCase('twopc:coordinator-after-create', 'orchestrator', 100));
  it('after sending the prepares, before recording any vote', () =>
    crashCase('twopc:coordinator-after-prepares-sent', 'orchestrator', 100));
  it('after recording some votes', () =>
    crashCase('twopc:coordinator-after-some-votes', 'orchestrator', 100));
  it('after logging COMMIT, before sending it', () =>
    crashCase('twopc:coordinator-after-decision-logged', 'orchestrator', 100));
  it('after logging ABORT (a NO vote), before sending it', () =>
    crashCase('twopc:coordinator-after-decision-logged', 'orchestrator', 5_000));
  it('after the decision reached one participant (its ack arrives, not yet recorded)', () =>
    crashCase('twopc:coordinator-after-decision-sent-to-one', 'orchestrator', 100));
});
