// Cancelling a bulk job while one of its actions is under way (bulk/bulk-runner.service.ts and
// BulkJobStore): the cancel waits for that action to commit, nothing is acted on after it, and a
// read of the job sees its counts and its items in one snapshot.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { BulkJobStore } from '@skald/persistence';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';

const sleeper = defineSaga('sleeper', { version: 1 })
  .step('only', { invoke: () => command('alpha', 'work', {}), timeoutMs: 600_000 })
  .build();

describe('in process: cancelling a bulk job', () => {
  it('waits for the action under way to commit; after it nothing is acted on, refusals included', () =>
    InProcessOrchestrator.run({ sagas: [sleeper] }, async (skald) => {
      const store = skald.provider(BulkJobStore);
      const first = (await skald.engine.start({ type: 'sleeper', input: {} })).saga.id;
      const second = (await skald.engine.start({ type: 'sleeper', input: {} })).saga.id;
      const created = await store.create({
        id: randomUUID(),
        action: 'cancel',
        filter: { type: 'sleeper' },
        maxSagas: 10,
        maxRunningJobs: 1,
      });
      assert.ok('created' in created);
      const jobId = created.created.id;

      // the first action claims its item and holds its transaction open
      let claimed!: () => void;
      const claimedItem = new Promise<void>((resolve) => (claimed = resolve));
      let commit!: () => void;
      const mayCommit = new Promise<void>((resolve) => (commit = resolve));
      const action = skald.engine.act(
        first,
        { kind: 'cancel', bulkJobId: jobId },
        {
          within: async (tx) => {
            const mine = await tx.bulkItems.claimSuccess(jobId, first);
            claimed();
            await mayCommit;
            return mine;
          },
        },
      );
      await claimedItem;

      let cancelled: boolean | undefined;
      const cancel = store.cancel(jobId).then((ended) => (cancelled = ended));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(cancelled, undefined, 'the cancel waits for the action under way');
      commit();
      await action;
      await cancel;
      assert.equal(cancelled, true);

      // after the cancel: the second saga's success is not claimed and its refusal not recorded
      await skald.engine.act(
        second,
        { kind: 'cancel', bulkJobId: jobId },
        { within: (tx) => tx.bulkItems.claimSuccess(jobId, second) },
      );
      await store.recordFailure(jobId, second, { code: 'ILLEGAL_TRANSITION', message: 'late' });

      const read = await store.findWithItems(jobId, { limit: 10 });
      assert.ok(read);
      assert.deepEqual([read.job.status, read.job.succeeded, read.job.failed], ['cancelled', 1, 0]);
      assert.deepEqual(
        read.items.map((item) => [item.sagaId, item.outcome]),
        [
          [first, 'succeeded'],
          [second, null],
        ],
        'in the job’s order, oldest saga first',
      );
      assert.ok((await skald.historyTypes(first)).includes('cancel-requested'));
      assert.ok(
        !(await skald.historyTypes(second)).includes('cancel-requested'),
        'the second saga is not acted on',
      );
      assert.equal((await skald.saga(second)).status, 'running');
    }));
});
