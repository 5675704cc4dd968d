// The console in a real browser (Debian's chromium through playwright-core) against a real
// orchestrator, PostgreSQL and Kafka: sign in with a key, find a failed saga from the overview,
// see its failed steps in the graph, retry it and watch it finish; a read-only key sees no action
// and its forged POST is refused; without keys it is open but still wants its CSRF token. Also
// writes the screenshots docs/console.md and the README show.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { OrchestratorHarness, waitUntil, type ScriptedParticipant } from '@skald/testing';

const IMAGES = join(__dirname, '../../../../docs/images');
const CHROMIUM = process.env.SKALD_CHROMIUM ?? '/usr/bin/chromium';
const KEYS = {
  ops: { scopes: 'read+operate', secret: `ops-${randomBytes(16).toString('hex')}` },
  viewer: { scopes: 'read', secret: `viewer-${randomBytes(16).toString('hex')}` },
  /** The harness's own REST calls (starting sagas, reading them). */
  harness: { scopes: 'admin', secret: `harness-${randomBytes(16).toString('hex')}` },
};
const PARTICIPANTS = [
  'rooms',
  'kitchen',
  'garage',
  'cards',
  'mail',
  'seats',
  'printer',
  'warehouse',
] as const;

describe('the console in a browser (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<(typeof PARTICIPANTS)[number], ScriptedParticipant>;
  let browser: Browser;
  /** While true the rooms refuse every release, so a declined saga ends `failed`. */
  let roomsDown = true;
  /** While true the printer refuses every ticket, so an issue-ticket saga fails past its pivot. */
  let printerJammed = false;
  let failedId: string;

  const failedSaga = async (guest: string) => {
    const { id } = await skald.startSaga('book-stay', { guest, decline: true });
    await skald.waitForStatus(id, 'failed');
    return id;
  };

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/console-sagas.ts')],
      env: {
        SKALD_API_KEYS: Object.entries(KEYS)
          .map(([name, k]) => `${name}:${k.scopes}:${k.secret}`)
          .join(','),
      },
      apiKey: KEYS.harness.secret,
    });
    participants = await skald.scriptedParticipants(PARTICIPANTS, (name) => (c) => {
      if (name === 'rooms' && c.phase === 'compensate' && roomsDown)
        return { outcome: 'error', code: 'ROOMS_DOWN', message: 'the room service is down' };
      const data = (c.data ?? {}) as { decline?: boolean; hold?: boolean; jam?: boolean };
      if (name === 'cards' && data.decline)
        return { outcome: 'failure', code: 'CARD_DECLINED', message: 'the card was declined' };
      if (name === 'printer' && c.command === 'print' && printerJammed)
        return { outcome: 'failure', code: 'PRINTER_JAMMED', message: 'the printer is jammed' };
      if (name === 'printer' && data.jam)
        return { outcome: 'error', code: 'PRINTER_OFFLINE', message: 'the label printer is off' };
      // the test answers these by hand, once an operator has paused the saga
      if (name === 'warehouse' && c.phase !== 'compensate' && data.hold) return { outcome: 'none' };
      return { outcome: 'success', data: {} };
    });
    const done = await skald.startSaga('book-stay', { guest: 'ada', breakfast: true });
    await skald.startSaga('await-approval', {});
    failedId = await failedSaga('grace');
    await skald.waitForStatus(done.id, 'completed');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(IMAGES, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await Promise.all(Object.values(participants ?? {}).map((p) => p.stop()));
    await skald?.stop();
  });

  /** A browser context signed in through the form with `key`'s secret. */
  async function signedIn(
    key: keyof typeof KEYS,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${skald.url}/console`);
    assert.match(page.url(), /\/console\/login$/, 'without a session the console asks to sign in');
    await page.getByLabel(/API key/).fill(KEYS[key].secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console$/);
    assert.match(
      (await page.locator('header .who').textContent())!,
      new RegExp(`signed in as\\s+${key}`),
    );
    return { context, page };
  }

  /** A POST as a browser form would send it, with the context's cookies. */
  const formPost = (context: BrowserContext, path: string, form: Record<string, string>) =>
    context.request.post(`${skald.url}${path}`, { form, maxRedirects: 0 });

  it('answers the first GET of a saga page with its id and status, before any script', async () => {
    const login = await fetch(`${skald.url}/console/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: KEYS.viewer.secret }),
      redirect: 'manual',
    });
    assert.equal(login.status, 303);
    const setCookie = login.headers.get('set-cookie')!;
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.ok(!setCookie.includes(KEYS.viewer.secret), 'the cookie never holds the key');
    const cookie = setCookie.split(';')[0];

    const res = await fetch(`${skald.url}/console/sagas/${failedId}`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.ok(body.includes(failedId));
    assert.match(body, /data-field="status">failed</);

    const anonymous = await fetch(`${skald.url}/console/sagas/${failedId}`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/console/login');

    // the other pages, as a reader sees them
    const tx = await skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'nobody-answers', command: 'debit', payload: {} }],
      timeoutMs: 3_600_000,
    });
    const pages: [string, RegExp[]][] = [
      ['/console/sagas?status=failed&type=book-stay', [new RegExp(failedId)]],
      ['/console/sagas?age=1d', [/No saga matches these filters/]],
      ['/console/participants', [/data-participant="rooms"/, /data-participant="cards"/]],
      [
        '/console/definitions',
        [/Deploy-time check: ok/, /book-stay v1/, /parallel group/, /await-approval v1/],
      ],
      ['/console/transactions', [new RegExp(tx.body.id)]],
      [`/console/transactions/${tx.body.id}`, [/preparing/, /nobody-answers/, /no vote yet/]],
    ];
    for (const [path, expected] of pages) {
      const res = await fetch(`${skald.url}${path}`, { headers: { cookie } });
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text}`);
      for (const pattern of expected) assert.match(text, pattern, path);
    }
    const htmx = await fetch(`${skald.url}/console/static/htmx.min.js`);
    assert.equal(htmx.status, 200);
    assert.match(htmx.headers.get('content-type')!, /javascript/);
    assert.match(await htmx.text(), /htmx/);

    // bad input: a clear message on a page, never a stack trace
    const cases: [string, number, RegExp][] = [
      ['/console/sagas/00000000-0000-4000-8000-000000000000', 404, /not found/i],
      ['/console/sagas/not-a-uuid', 400, /saga id must be a UUID/],
      ['/console/sagas?status=exploded', 400, /status must be one of/],
      ['/console/sagas?age=yesterday', 400, /age must be a number of minutes, hours or days/],
      ['/console/sagas?cursor=garbage', 400, /cursor/i],
      ['/console/transactions/not-a-uuid', 400, /transaction id must be a UUID/],
      ['/console/no-such-page', 404, /the console has no page \/console\/no-such-page/],
    ];
    for (const [path, status, message] of cases) {
      const bad = await fetch(`${skald.url}${path}`, { headers: { cookie } });
      const text = await bad.text();
      assert.equal(bad.status, status, `${path}: ${text}`);
      assert.match(text, message, path);
      assert.match(bad.headers.get('content-type')!, /text\/html/, path);
      assert.doesNotMatch(text, /\n\s+at /, `${path}: no stack trace`);
    }
  });

  it('finds the failed saga from the overview, shows its failed steps, retries it and sees it finish', async () => {
    const { context, page } = await signedIn('ops');
    const failedCard = page.locator('.card[data-status="failed"]');
    assert.match((await failedCard.textContent())!, /1\s*failed/);
    assert.equal(
      await page.locator('.card').first().getAttribute('data-status'),
      'failed',
      'failed sagas come first',
    );
    await page.screenshot({ path: join(IMAGES, 'console-overview.png'), fullPage: true });

    await failedCard.locator('a').first().click();
    await page.waitForURL(/\/console\/sagas\?status=failed$/);
    await page.getByRole('link', { name: failedId }).click();
    await page.waitForURL(new RegExp(`/console/sagas/${failedId}$`));

    const step = (name: string) => page.locator(`.step[data-step="${name}"]`);
    assert.equal(await step('hold-room').getAttribute('data-state'), 'failed');
    assert.match((await step('hold-room').textContent())!, /compensation failed/);
    assert.match((await step('hold-room').textContent())!, /ROOMS_DOWN/);
    assert.equal(await step('charge').getAttribute('data-state'), 'failed');
    assert.match((await step('charge').textContent())!, /CARD_DECLINED/);
    assert.equal(
      await step('breakfast').getAttribute('data-state'),
      'skipped',
      'its condition was false',
    );
    assert.match((await page.locator('.stage-parallel').textContent())!, /parallel group\s+extras/);
    assert.match((await step('send-voucher').textContent())!, /pivot/);
    assert.match((await page.locator('.attention').textContent())!, /Last error:/);
    await page.screenshot({ path: join(IMAGES, 'console-saga.png'), fullPage: true });

    await page.getByRole('link', { name: 'Failures only' }).click();
    const shown = await page.locator('ol.timeline li').count();
    assert.ok(shown > 0);
    assert.equal(
      await page.locator('ol.timeline li:not(.failure)').count(),
      0,
      'only failures shown',
    );

    // a form without the session's CSRF token is refused, even with the operator's cookie
    const forged = await formPost(context, `/console/sagas/${failedId}/retry`, {});
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /not from your console session/);

    roomsDown = false;
    await page.getByRole('link', { name: 'Retry…' }).click();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL(new RegExp(`/console/sagas/${failedId}\\?done=retry`));
    assert.match((await page.locator('.notice').textContent())!, /Retry requested/);
    // the page refreshes itself (htmx polling) until the saga is compensated
    await page
      .locator('[data-field="status"]', { hasText: 'compensated' })
      .waitFor({ timeout: 30_000 });
    assert.ok(
      await page.locator('ol.timeline li[data-type="resumed"]').count(),
      'the retry is in the timeline',
    );
    assert.equal((await skald.saga(failedId)).status, 'compensated');
    await context.close();
  });

  it('walk-through: from the overview, finds the failed saga, opens it, retries it and sees it complete', async () => {
    printerJammed = true;
    const { id } = await skald.startSaga('issue-ticket', { passenger: 'hedy' });
    await skald.waitForStatus(id, 'failed');
    printerJammed = false; // fixed: the retry runs print-ticket again, as a new run of the step
    const { context, page } = await signedIn('ops');
    let clicks = 0;
    const click = async (target: Locator) => {
      clicks++;
      await target.click();
    };
    const started = performance.now();
    await click(page.locator('.card[data-status="failed"] a').first());
    await click(page.getByRole('link', { name: id }));
    const printTicket = page.locator('.step[data-step="print-ticket"]');
    assert.equal(await printTicket.getAttribute('data-state'), 'failed');
    assert.match((await page.locator('.attention').textContent())!, /PRINTER_JAMMED/);
    await click(page.getByRole('link', { name: 'Retry…' }));
    await click(page.getByRole('button', { name: 'Retry' }));
    await page
      .locator('[data-field="status"]', { hasText: 'completed' })
      .waitFor({ timeout: 30_000 });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`walk-through: ${clicks} clicks, ${seconds.toFixed(1)} s\n`);
    assert.equal(await printTicket.getAttribute('data-state'), 'done');
    assert.ok(await page.locator('ol.timeline li[data-type="resumed"]').count());
    assert.equal((await skald.saga(id)).status, 'completed');
    await context.close();
  });

  it('shows a read-only key no action, and refuses its forged POST with 403', async () => {
    roomsDown = true;
    const id = await failedSaga('linus');
    const { context, page } = await signedIn('viewer');
    await page.goto(`${skald.url}/console/sagas/${id}`);
    assert.match((await page.locator('[data-field="status"]').textContent())!, /failed/);
    assert.equal(await page.locator('.actions a, .actions button').count(), 0);
    assert.match((await page.locator('#main').textContent())!, /can read but not act/);

    // its own cookie and its own CSRF token (from the sign-out form): still not `operate`
    const csrf = (await page.locator('header input[name="csrf"]').getAttribute('value'))!;
    const forged = await formPost(context, `/console/sagas/${id}/retry`, { csrf });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /lacks the scope &quot;operate&quot;/);
    const confirm = await context.request.get(
      `${skald.url}/console/sagas/${id}/confirm?action=retry`,
    );
    assert.equal(
      confirm.status(),
      200,
      'the confirmation page is only a page; its POST is what is checked',
    );
    assert.equal((await skald.saga(id)).status, 'failed', 'nothing happened');
    await context.close();
  });

  /** Opens the confirmation behind `link`, fills the reason when asked, and confirms with `button`. */
  async function confirmAction(
    page: Page,
    link: string | Locator,
    button: string,
    reason?: string,
  ) {
    await (typeof link === 'string' ? page.getByRole('link', { name: link }) : link).click();
    if (reason !== undefined) await page.getByLabel(/Reason/).fill(reason);
    await page.getByRole('button', { name: button, exact: true }).click();
  }
  const statusShown = (page: Page, status: string) =>
    page.locator('[data-field="status"]', { hasText: status }).waitFor({ timeout: 30_000 });

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
    const row = page.locator('tr[data-participant="kitchen"]');
    assert.match((await row.textContent())!, /commands\/s|no rate limit/, 'its rate limit');
    assert.equal(
      await page.locator('#close-breaker-kitchen').count(),
      0,
      'closed: nothing to close',
    );
    await confirmAction(
      page,
      page.locator('#open-breaker-kitchen'),
      'Open breaker',
      'kitchen refit, OPS-11',
    );
    await page.locator('.notice', { hasText: 'The breaker of kitchen is open, by hand' }).waitFor();
    assert.match((await row.textContent())!, /opened by hand by\s+ops:\s+kitchen refit, OPS-11/);
    const open = await skald.request<{ items: { name: string; breaker: { state: string } }[] }>(
      'GET',
      '/v1/participants',
    );
    assert.equal(open.body.items.find((p) => p.name === 'kitchen')?.breaker.state, 'open');
    await confirmAction(
      page,
      page.locator('#close-breaker-kitchen'),
      'Close breaker',
      'refit done',
    );
    await page.locator('.notice', { hasText: 'The breaker of kitchen is closed' }).waitFor();
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
    const started = await Promise.all([1, 2, 3].map(() => skald.startSaga('await-approval', {})));
    const { context, page } = await signedIn('ops');
    await page.goto(`${skald.url}/console/sagas?status=running&type=await-approval`);
    const listed = await page.locator('#saga-list-live tbody tr').count();
    assert.equal(listed, 4, 'the three just started and the one from the set-up');
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

describe('the console without API keys (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/console-sagas.ts')],
    });
  });
  after(() => skald?.stop());

  it('is open like the API, and still refuses a POST without the CSRF token', async () => {
    const { id } = await skald.startSaga('await-approval', {});
    const res = await fetch(`${skald.url}/console/sagas/${id}`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /open console/);
    assert.match(text, /id="action-cancel"/, 'anonymous may act, as on the API');
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(
      await (
        await fetch(`${skald.url}/console/sagas/${id}/confirm?action=cancel`, {
          headers: { cookie },
        })
      ).text(),
    )![1];
    const post = (form: Record<string, string>) =>
      fetch(`${skald.url}/console/sagas/${id}/cancel`, {
        method: 'POST',
        headers: { cookie },
        body: new URLSearchParams(form),
        redirect: 'manual',
      });
    assert.equal((await post({})).status, 403);
    assert.equal((await skald.saga(id)).status, 'running');
    const cancelled = await post({ csrf, reason: 'console test' });
    assert.equal(cancelled.status, 303);
    assert.equal(cancelled.headers.get('location'), `/console/sagas/${id}?done=cancel#timeline`);
    const history = await skald.history(id);
    assert.ok(
      history.some((h) => h.type === 'cancel-requested' && h.details?.reason === 'console test'),
    );
  });
});
