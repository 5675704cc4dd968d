// The console's browser tests' shared set-up: an orchestrator with API keys and the console
// fixtures, scripted participants whose answers the tests steer, headless Chromium (Debian's
// chromium through playwright-core, SKALD_CHROMIUM), and the steps of signing in and confirming.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { OrchestratorHarness, type ScriptedParticipant } from '@skald/testing';

export const IMAGES = join(__dirname, '../../../../docs/images');
const CHROMIUM = process.env.SKALD_CHROMIUM ?? '/usr/bin/chromium';
export const KEYS = {
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
export const CONSOLE_SAGAS = join(__dirname, '../fixtures/console-sagas.ts');

/** What the scripted participants do; the tests flip these. */
export interface ConsoleFaults {
  /** The rooms refuse every release, so a declined book-stay saga ends `failed`. */
  roomsDown: boolean;
  /** The printer refuses every ticket, so an issue-ticket saga fails past its pivot. */
  printerJammed: boolean;
}

export interface ConsoleStack {
  skald: OrchestratorHarness;
  participants: Record<(typeof PARTICIPANTS)[number], ScriptedParticipant>;
  faults: ConsoleFaults;
  /** A browser context signed in through the form with `key`'s secret. */
  signedIn(key: keyof typeof KEYS): Promise<{ context: BrowserContext; page: Page }>;
  /** A POST as a browser form would send it, with the context's cookies. */
  formPost(
    context: BrowserContext,
    path: string,
    form: Record<string, string>,
  ): ReturnType<BrowserContext['request']['post']>;
  stop(): Promise<void>;
}

export async function startConsoleStack(faults: ConsoleFaults): Promise<ConsoleStack> {
  const skald = await OrchestratorHarness.start({
    sagas: [CONSOLE_SAGAS],
    env: {
      SKALD_API_KEYS: Object.entries(KEYS)
        .map(([name, k]) => `${name}:${k.scopes}:${k.secret}`)
        .join(','),
    },
    apiKey: KEYS.harness.secret,
  });
  const participants = await skald.scriptedParticipants(PARTICIPANTS, (name) => (c) => {
    if (name === 'rooms' && c.phase === 'compensate' && faults.roomsDown)
      return { outcome: 'error', code: 'ROOMS_DOWN', message: 'the room service is down' };
    const data = (c.data ?? {}) as { decline?: boolean; hold?: boolean; jam?: boolean };
    if (name === 'cards' && data.decline)
      return { outcome: 'failure', code: 'CARD_DECLINED', message: 'the card was declined' };
    if (name === 'printer' && c.command === 'print' && faults.printerJammed)
      return { outcome: 'failure', code: 'PRINTER_JAMMED', message: 'the printer is jammed' };
    if (name === 'printer' && data.jam)
      return { outcome: 'error', code: 'PRINTER_OFFLINE', message: 'the label printer is off' };
    // the test answers these by hand, once an operator has paused the saga
    if (name === 'warehouse' && c.phase !== 'compensate' && data.hold) return { outcome: 'none' };
    return { outcome: 'success', data: {} };
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  } catch (error) {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald.stop();
    throw error;
  }
  mkdirSync(IMAGES, { recursive: true });
  return {
    skald,
    participants,
    faults,
    async signedIn(key) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${skald.url}/console`);
      assert.match(
        page.url(),
        /\/console\/login$/,
        'without a session the console asks to sign in',
      );
      await page.getByLabel(/API key/).fill(KEYS[key].secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/console$/);
      assert.match(
        (await page.locator('header .who').textContent())!,
        new RegExp(`signed in as\\s+${key}`),
      );
      return { context, page };
    },
    formPost: (context, path, form) =>
      context.request.post(`${skald.url}${path}`, { form, maxRedirects: 0 }),
    async stop() {
      await browser.close();
      await Promise.all(Object.values(participants).map((p) => p.stop()));
      await skald.stop();
    },
  };
}

/** Opens the confirmation behind `link`, fills the reason when asked, and confirms with `button`. */
export async function confirmAction(
  page: Page,
  link: string | Locator,
  button: string,
  reason?: string,
): Promise<void> {
  await (typeof link === 'string' ? page.getByRole('link', { name: link }) : link).click();
  if (reason !== undefined) await page.getByLabel(/Reason/).fill(reason);
  await page.getByRole('button', { name: button, exact: true }).click();
}

/** Waits until the page (refreshing itself) shows the saga in `status`. */
export const statusShown = (page: Page, status: string) =>
  page.locator('[data-field="status"]', { hasText: status }).waitFor({ timeout: 30_000 });
