import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { HEADERS } from '@skald/protocol';
import { applyMutation, recordMutation, waitUntil } from '@skald/testing';
import { ReplyPoisonRig } from '../fixtures/poison-replies';

/** Generated hostile replies per run of `npm test`: well under a minute, bounded. */
const RUNS = 40;
const REPLY_HEADERS = [
  HEADERS.specVersion,
  HEADERS.id,
  HEADERS.source,
  HEADERS.type,
  HEADERS.time,
  HEADERS.contentType,
  HEADERS.traceParent,
  HEADERS.correlationId,
  HEADERS.sagaId,
  HEADERS.outcome,
];

describe('reply consumer fuzzed with hostile replies', () => {
  const rig = new ReplyPoisonRig();
  before(() => rig.start());
  after(() => rig.stop());

  const parkedSoFar = async () =>
    (await rig.skald.counter('skald_replies_total', { result: 'malformed' })) +
    (await rig.skald.counter('skald_replies_total', { result: 'dead-lettered' }));

  it(`handles each of ${RUNS} hostile replies to a waiting saga, and the good reply behind it`, async () => {
    const hostileReply = fc.record({
      mutation: recordMutation(REPLY_HEADERS),
      outcome: fc.constantFrom('success' as const, 'failure' as const, 'error' as const),
      // a correlation id of 2PC's kind sends the reply down the coordinator's path (1 in 4)
      twoPhase: fc.oneof(
        { weight: 3, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    });
    await fc.assert(
      fc.asyncProperty(hostileReply, async ({ mutation, outcome, twoPhase }) => {
        const { sagaId, command } = await rig.pendingSaga();
        const historyBefore = await rig.skald.history(sagaId);
        const handledBefore = await rig.repliesHandled();
        const parkedBefore = await parkedSoFar();
        const correlationId = twoPhase
          ? `${command.id.slice(0, 14)}8${command.id.slice(15)}`
          : command.id;
        const data = outcome === 'success' ? { id: 'hostile' } : { code: 'X', message: 'hostile' };
        const valid = rig.reply({ ...command, id: correlationId }, { outcome, data });
        const [offset] = await rig.send(applyMutation(valid, mutation));
        await waitUntil(async () => (await rig.repliesHandled()) > handledBefore, {
          timeoutMs: 15_000,
          what: `the hostile reply at offset ${offset} to be handled`,
        });
        const parked = (await parkedSoFar()) > parkedBefore;
        if (parked) {
          assert.ok(await rig.deadLetterAt(offset), 'a parked reply is on the dead-letter topic');
          assert.deepEqual(
            await rig.skald.history(sagaId),
            historyBefore,
            'the saga did not change',
          );
        }

        await rig.send(rig.reply(command, { outcome: 'success', data: { id: 'good' } }));
        await waitUntil(async () => (await rig.repliesHandled()) > handledBefore + 1, {
          timeoutMs: 15_000,
          what: 'the good reply behind it to be handled',
        });
        // a hostile reply that was valid after all may have moved the saga on; a parked one did not
        if (parked) await rig.skald.waitForStatus(sagaId, 'completed', 5_000);
      }),
      // no shrinking: each run costs broker round trips; the seed and counterexample are reported
      { numRuns: RUNS, endOnFailure: true },
    );
    assert.equal((await rig.skald.request('GET', '/health')).status, 200);
  });
});
