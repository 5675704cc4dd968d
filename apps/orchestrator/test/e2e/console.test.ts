// The console in a real browser (Debian's chromium through playwright-core) against a real
// orchestrator, PostgreSQL and Kafka: sign in with a key, find a failed saga from the overview,
// see its failed steps in the graph, retry it and watch it finish; the timed walk-through; a
// read-only key sees no action and its forged POST is refused; without keys it is open but still
// wants its CSRF token. Also writes the screenshots docs/console.md and the README show. The
// other operator actions: console-actions.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { Locator } from 'playwright-core';
import { OrchestratorHarness } from '@skald/testing';
import {
  CONSOLE_SAGAS,
  IMAGES,
  KEYS,
  startConsoleStack,
  type ConsoleStack,
} from '../support/console-browser';

describe('the console in a browser (orchestrator process, real Kafka and PostgreSQL)', () => {
  let stack: ConsoleStack;
  let skald: ConsoleStack['skald'];
  const faults = { roomsDown: true, printerJammed: false };
  let failedId: string;

  const failedSaga = async (guest: string) => {
    const { id } = await skald.startSaga('book-stay', { guest, decline: true });
    await skald.waitForStatus(id, 'failed');
    return id;
  };
  const signedIn = (key: keyof typeof KEYS) => stack.signedIn(key);
  const formPost: ConsoleStack['formPost'] = (...args) => stack.formPost(...args);

  before(async () => {
    stack = await startConsoleStack(faults);
    skald = stack.skald;
    const done = await skald.startSaga('book-stay', { guest: 'ada', breakfast: true });
    await skald.startSaga('await-approval', {});
    failedId = await failedSaga('grace');
    await skald.waitForStatus(done.id, 'completed');
  });
  after(() => stack?.stop());

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

    faults.roomsDown = false;
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
    faults.printerJammed = true;
    const { id } = await skald.startSaga('issue-ticket', { passenger: 'hedy' });
    await skald.waitForStatus(id, 'failed');
    faults.printerJammed = false; // fixed: the retry runs print-ticket again, as a new run of the step
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
    faults.roomsDown = true;
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
});

describe('the console without API keys (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [CONSOLE_SAGAS],
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
