// The console's operator actions in a real browser against a real orchestrator, PostgreSQL and
// Kafka: a saga paused and resumed to completion, a paused skippable step skipped, a participant's
// sagas paused and resumed, its breaker opened and closed by hand, a 2PC transaction resolved,
// and a bulk cancel of a filtered set. Each checks the actor and reason it recorded.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@skald/testing';
import {
  confirmAction,
  startConsoleStack,
  statusShown,
  type ConsoleStack,
} from '../support/console-browser';

describe("the console's operator actions in a browser (orchestrator process, real Kafka and PostgreSQL)", () => {
  let stack: ConsoleStack;
  let skald: ConsoleStack['skald'];
  let participants: ConsoleStack['participants'];
  const signedIn = (key: 'ops' | 'viewer') => stack.signedIn(key);

  before(async () => {
    stack = await startConsoleStack({ roomsDown: false, printerJammed: false });
    ({ skald, participants } = stack);
  });
  after(() => stack?.stop());

  it('pauses a running saga in the browser, and resumes it to completion', async () => {
    const { id } = await skald.startSaga('ship-parcel', { parcel: 'p-1', hold: true });
    const pack = await participants.warehouse.waitFor((c) => c.sagaId === id);
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/sagas/${id}`);
    assert.equal(await page.locator('#action-resume').count(), 0, 'nothing to resume yet');
    await confirmAction(page, 'Pause…', 'Pause', 'warehouse audit, ticket OPS-7');
    await page.waitForURL(new RegExp(`/console/sagas/${id}\\?done=pause`));
    await statusShown(page, 'paused');
    assert.equal(await page.locator('#action-pause').count(), 0, 'a paused saga offers no pause');
    const paused = (await skald.history(id)).find((h) => h.type === 'paused');
    assert.deepEqual(paused?.details, { reason: 'warehouse audit, ticket OPS-7', actor: 'ops' });

    // the packing finishes while the saga is paused: its step succeeds, the saga holds
    await participants.warehouse.reply(pack, { outcome: 'success', data: {} });
    await waitUntil(async () => (await skald.saga(id)).steps[0].status === 'succeeded', {
      what: 'the packing applied while paused',
    });
    assert.equal((await skald.saga(id)).status, 'paused');

    await page.reload();
    await confirmAction(page, 'Resume…', 'Resume');
    await statusShown(page, 'completed');
    assert.ok(await page.locator('ol.timeline li[data-type="resumed"]').count());
    await context.close();
  });

  it('skips a paused skippable step with a reason, and the saga completes', async () => {
    const { id } = await skald.startSaga('ship-parcel', { parcel: 'p-2', jam: true });
    await skald.waitForStatus(id, 'paused');
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/sagas/${id}`);
    await confirmAction(
      page,
      'Skip paused step of label…',
      'Skip paused step',
      'labelled by hand, OPS-8',
    );
    await statusShown(page, 'completed');
    const skipped = (await skald.history(id)).find((h) => h.type === 'step-skipped');
    assert.deepEqual(skipped?.details, { reason: 'labelled by hand, OPS-8', actor: 'ops' });
    // skipped, with its reason (its fence to the printer may still wait in the outbox)
    const label = (await page.locator('.step[data-step="label"]').textContent())!;
    assert.match(label, /skipped/);
    assert.match(label, /labelled by hand, OPS-8/);
    await context.close();
  });

  it("pauses and resumes a participant's sagas from the participants page, with the count", async () => {
    const { id } = await skald.startSaga('ship-parcel', { parcel: 'p-3', hold: true });
    const pack = await participants.warehouse.waitFor((c) => c.sagaId === id);
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/participants`);
    // the warehouse row's links: the table has a pair for each participant
    await confirmAction(
      page,
      page.locator('#pause-sagas-warehouse'),
      'Pause its sagas',
      'warehouse maintenance',
    );
    await page.locator('.notice', { hasText: 'Paused 1 saga waiting on warehouse' }).waitFor();
    assert.equal((await skald.saga(id)).status, 'paused');
    await confirmAction(page, page.locator('#resume-sagas-warehouse'), 'Resume its sagas');
    await page.locator('.notice', { hasText: 'Resumed 1 saga paused on warehouse' }).waitFor();
    assert.equal((await skald.saga(id)).status, 'running');
    await participants.warehouse.reply(pack, { outcome: 'success', data: {} });
    await skald.waitForStatus(id, 'completed');
    await context.close();
  });

  it("opens and closes a participant's breaker by hand, with a reason, and shows its limits", async () => {
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/participants`);
    const row = page.locator('tr[data-participant="warehouse"]');
    assert.match((await row.textContent())!, /commands\/s|no rate limit/, 'its rate limit');
    assert.equal(
      await page.locator('#close-breaker-warehouse').count(),
      0,
      'closed: nothing to close',
    );
    await confirmAction(
      page,
      page.locator('#open-breaker-warehouse'),
      'Open breaker',
      'warehouse refit, OPS-11',
    );
    await page
      .locator('.notice', { hasText: 'The breaker of warehouse is open, by hand' })
      .waitFor();
    assert.match((await row.textContent())!, /opened by hand by\s+ops:\s+warehouse refit, OPS-11/);
    const open = await skald.request<{ items: { name: string; breaker: { state: string } }[] }>(
      'GET',
      '/v1/participants',
    );
    assert.equal(open.body.items.find((p) => p.name === 'warehouse')?.breaker.state, 'open');
    await confirmAction(
      page,
      page.locator('#close-breaker-warehouse'),
      'Close breaker',
      'refit done',
    );
    await page.locator('.notice', { hasText: 'The breaker of warehouse is closed' }).waitFor();
    assert.match((await row.locator('.badge').first().textContent())!, /closed/);
    await context.close();
  });

  it('resolves a 2PC transaction still preparing with abort, recording the operator', async () => {
    const tx = await skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'nobody-answers', command: 'debit', payload: {} }],
      timeoutMs: 3_600_000,
    });
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/transactions/${tx.body.id}`);
    await confirmAction(page, 'Resolve (abort)…', 'Resolve', 'bank-b is gone, OPS-9');
    await page.waitForURL(/\?done=resolve$/);
    assert.match((await page.locator('dl.facts').textContent())!, /abort by ops:\s+bank-b is gone/);
    const resolved = await skald.request<{ decision: string; resolution: { actor: string } }>(
      'GET',
      `/v1/transactions/${tx.body.id}`,
    );
    assert.equal(resolved.body.decision, 'abort');
    assert.equal(resolved.body.resolution.actor, 'ops');
    await context.close();
  });

  it('bulk-cancels a filtered set: the dry-run count first, then the job watched to its end', async () => {
    const started = await Promise.all(
      [1, 2, 3, 4].map(() => skald.startSaga('await-approval', {})),
    );
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/sagas?status=running&type=await-approval`);
    const listed = await page.locator('#saga-list-live tbody tr').count();
    assert.equal(listed, 4);
    await page.getByLabel('Bulk action on this filter').selectOption('cancel');
    await page.getByRole('button', { name: 'Count first…' }).click();
    await page.waitForURL(/\/console\/bulk\?/);
    assert.equal(await page.locator('#dry-run').getAttribute('data-count'), '4');
    for (const { id } of started)
      assert.equal((await skald.saga(id)).status, 'running', 'a dry run changes nothing');
    await page.getByLabel(/Reason/).fill('approvals retired, OPS-10');
    await page.getByRole('button', { name: 'Bulk cancel 4 sagas' }).click();
    await page.waitForURL(/\/console\/bulk-jobs\/[0-9a-f-]+$/);
    // the progress view refreshes itself until the job is done
    await page
      .locator('[data-field="status"]', { hasText: 'completed' })
      .waitFor({ timeout: 30_000 });
    assert.match((await page.locator('[data-field="progress"]').textContent())!, /4 of 4 done/);
    assert.match((await page.locator('[data-field="succeeded"]').textContent())!, /4 succeeded/);
    for (const { id } of started) {
      assert.notEqual((await skald.saga(id)).status, 'running');
      const cancel = (await skald.history(id)).find((h) => h.type === 'cancel-requested');
      assert.equal(cancel?.details?.reason, 'approvals retired, OPS-10');
      assert.equal(cancel?.details?.actor, 'ops');
    }
    // another saga of the type, started after the job, is not in it
    const later = await skald.startSaga('await-approval', {});
    assert.equal((await skald.saga(later.id)).status, 'running');
    await context.close();
  });
});
