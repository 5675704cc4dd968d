import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCommand, encodeCommand, HEADERS, replyTopic } from '@skald/protocol';
import { applyMutation, recordMutation, waitUntil, type RawRecord } from '@skald/testing';
import { PoisonRig } from './fixtures/poison-rig';

/** Generated hostile commands per run of `npm test`: a few seconds, bounded. */
const RUNS = 40;
const COMMAND_HEADERS = [
  HEADERS.specVersion,
  HEADERS.id,
  HEADERS.source,
  HEADERS.type,
  HEADERS.time,
  HEADERS.contentType,
  HEADERS.traceParent,
  HEADERS.sagaId,
  HEADERS.sagaStep,
  HEADERS.attempt,
  HEADERS.stepRun,
  HEADERS.phase,
  HEADERS.replyTo,
];

describe('participant SDK fuzzed with hostile commands', () => {
  const p = new PoisonRig();
  /** A valid command whose ce_replyto was changed to another legal topic is answered there. */
  const answeredElsewhere = (record: RawRecord) => {
    try {
      return decodeCommand(record).replyTo !== replyTopic(p.rig.prefix);
    } catch {
      return false;
    }
  };
  before(() => p.start());
  after(() => p.stop());

  it(`answers or dead-letters each of ${RUNS} hostile commands, and runs the good one behind it`, async () => {
    await fc.assert(
      fc.asyncProperty(recordMutation(COMMAND_HEADERS), async (mutation) => {
        const bad = p.command({ data: { model: 'fuzzed' } });
        const hostile = applyMutation(encodeCommand(bad), mutation);
        const good = p.good();
        const [offset] = await p.send(hostile, good.record);

        const [reply] = await p.rig.waitForReplies(good.command.id, 1, 15_000);
        assert.equal(reply.outcome, 'success', 'the command behind it ran');
        // the hostile record was handled before it: answered (it may have been valid), or parked
        const id = hostile.headers[HEADERS.id]?.toString();
        const answered = () =>
          answeredElsewhere(hostile) || p.rig.replies.some((r) => r.correlationId === id);
        await waitUntil(async () => answered() || (await p.deadLetterAt(offset, 0)) !== undefined, {
          timeoutMs: 5_000,
          what: `an answer or a dead letter for the hostile record at offset ${offset}`,
        });
        assert.equal(p.participant.health().status, 'up');
        assert.deepEqual(p.rig.refusedReplies, [], 'every answer is a valid reply');
      }),
      // no shrinking: each run costs broker round trips; the seed and counterexample are reported
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});
