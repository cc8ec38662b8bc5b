import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import {
  callApi,
  expectSignInRefused,
  launchChromium,
  PASSWORD,
  saveScreenshot,
  signIn,
  signUp,
  skipWithoutChromium,
  startServer,
  withLogs,
} from './support/demo-page.js';
import type { SpawnedServer } from './support/spawn-server.js';

// The demo page's "Your sessions" panel and "Change password" form in chromium, against the real
// server. Two browser contexts are two devices: they share no cookies, storage or tabs.

const NEW_PASSWORD = 'another long password';

/** What the session list shows: one entry per row, the current one marked. */
async function sessionRows(page: Page): Promise<Array<{ text: string; current: boolean; buttons: number }>> {
  return page.locator('#sessions li').evaluateAll((items) =>
    items.map((item) => ({
      text: item.textContent ?? '',
      current: item.classList.contains('current'),
      buttons: item.querySelectorAll('button').length,
    })),
  );
}

async function waitForSessionCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction((expected) => document.querySelectorAll('#sessions li').length === expected, count);
}

/** The user comes back to the tab: the page reloads its session list. */
async function refocus(page: Page): Promise<void> {
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
}

async function changePassword(page: Page, current: string, next: string, confirm = next): Promise<void> {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Confirm new password').fill(confirm);
  await page.getByRole('button', { name: 'Change password' }).click();
}

/** The field's error text once it shows, after checking the input is marked invalid. */
async function fieldError(page: Page, inputId: string): Promise<string> {
  const error = page.locator(`#${inputId}-error`);
  await error.filter({ hasText: /\S/ }).waitFor();
  assert.equal(await page.locator(`#${inputId}`).getAttribute('aria-invalid'), 'true');
  return (await error.textContent()) ?? '';
}

describe('browser: sessions and password', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  async function device(options: BrowserContextOptions = { viewport: { width: 1024, height: 900 } }): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  async function closeDevices(): Promise<void> {
    for (const context of contexts.splice(0)) await context.close();
  }

  describe('cookie mode (GATEHOUSE_REFRESH_COOKIE=on)', () => {
    let server: SpawnedServer | undefined;
    before(async () => {
      server = await startServer({ GATEHOUSE_REFRESH_COOKIE: 'on' });
    });
    after(async () => {
      await closeDevices();
      await server?.stop();
    });

    it('changes the password through the form: field errors, then the new one signs in and this page stays signed in', { timeout: 60_000 }, async () => {
      await withLogs(server, async ({ baseUrl }) => {
        const page = await device();
        await page.goto(`${baseUrl}/?storage=cookie`);
        await signUp(page, 'olivia');

        await changePassword(page, NEW_PASSWORD, NEW_PASSWORD, 'a different one');
        assert.equal(await fieldError(page, 'confirm-password'), 'The two new passwords do not match.');

        await changePassword(page, 'not the password', NEW_PASSWORD);
        assert.equal(await fieldError(page, 'current-password'), 'Invalid password.');
        assert.ok(await page.locator('#current-password').evaluate((input) => input === document.activeElement), 'the bad field has focus');
        await saveScreenshot(page, 'change-password-error');

        await changePassword(page, PASSWORD, 'short');
        assert.match(await fieldError(page, 'new-password'), /too short/);
        assert.equal(await page.locator('#current-password-error').isHidden(), true, 'the earlier error is gone');

        await changePassword(page, PASSWORD, NEW_PASSWORD);
        await page.locator('#password-status', { hasText: 'Password changed.' }).waitFor();
        assert.equal(await page.getByLabel('Current password').inputValue(), '', 'the form is emptied');
        assert.match(await callApi(page), /^200:/, 'the page stays signed in');
        // Its refresh cookie survived the change: a reload resumes the session.
        await page.reload();
        await page.locator('#who', { hasText: 'olivia' }).waitFor();
        assert.match(await callApi(page), /^200:/);

        const other = await device();
        await other.goto(`${baseUrl}/?storage=cookie`);
        await expectSignInRefused(other, 'olivia', PASSWORD);
        await signIn(other, 'olivia', NEW_PASSWORD);
      });
    });
  });

  describe('token mode', () => {
    let server: SpawnedServer | undefined;
    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await closeDevices();
      await server?.stop();
    });

    it('device A sees device B in its list and signs it out; B is then signed out', { timeout: 60_000 }, async () => {
      await withLogs(server, async ({ baseUrl }) => {
        const a = await device();
        const b = await device();
        await a.goto(baseUrl);
        await b.goto(baseUrl);
        await signUp(a, 'peggy');
        await waitForSessionCount(a, 1);
        await signIn(b, 'peggy');

        await refocus(a);
        await waitForSessionCount(a, 2);
        const rows = await sessionRows(a);
        assert.deepEqual(
          rows.map((row) => [row.current, row.buttons]),
          [
            [false, 1],
            [true, 0],
          ],
          "newest first; only the other device's row has a button",
        );
        assert.match(rows[1]?.text ?? '', /This device/);
        assert.match(rows[0]?.text ?? '', /Chrome on Linux/);
        assert.match(rows[0]?.text ?? '', /127\.0\.0\.1/);
        assert.match(rows[0]?.text ?? '', /Last used just now/);
        await saveScreenshot(a, 'sessions');

        await a.locator('#sessions li:not(.current)').getByRole('button', { name: /^Sign out / }).click();
        await waitForSessionCount(a, 1);
        assert.deepEqual(
          (await sessionRows(a)).map((row) => row.current),
          [true],
        );
        assert.match(await a.locator('#sessions li').textContent() ?? '', /This device/);
        assert.ok(await a.getByRole('button', { name: 'Sign out all other sessions' }).isHidden(), 'nothing else to sign out');

        // B's next call is refused; the page notices and shows the sign-in form.
        assert.match(await callApi(b), /^401:/);
        await b.locator('#signed-out').waitFor();
        assert.ok(await b.locator('#signed-in').isHidden());
        assert.ok(await b.locator('#sessions-panel').isHidden());
        await b.getByRole('alert').filter({ hasText: 'signed out from another device' }).waitFor();

        assert.match(await callApi(a), /^200:/, 'A is still signed in');
      });
    });

    it('"Sign out all other sessions" ends every other device and keeps this one', { timeout: 60_000 }, async () => {
      await withLogs(server, async ({ baseUrl }) => {
        const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
        const [a, b, c] = [await device(phone), await device(), await device()];
        await a.goto(baseUrl);
        await signUp(a, 'quentin');
        for (const other of [b, c]) {
          await other.goto(baseUrl);
          await signIn(other, 'quentin');
        }
        await refocus(a);
        await waitForSessionCount(a, 3);
        assert.ok(await a.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
        await saveScreenshot(a.locator('#sessions-panel'), 'sessions-phone');

        await a.getByRole('button', { name: 'Sign out all other sessions' }).click();
        await waitForSessionCount(a, 1);
        await a.locator('#sessions-status', { hasText: 'Every other session was signed out.' }).waitFor();
        for (const other of [b, c]) {
          assert.match(await callApi(other), /^401:/);
          await other.locator('#signed-out').waitFor();
        }
        assert.match(await callApi(a), /^200:/);
      });
    });
  });
});
