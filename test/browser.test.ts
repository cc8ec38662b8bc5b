import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SpawnedServer } from './support/spawn-server.js';
import {
  callApi,
  expectSignInRefused,
  launchChromium,
  LIFETIME_MS,
  saveScreenshot,
  signUp,
  skipWithoutChromium,
  startServer,
  withLogs,
} from './support/demo-page.js';

// The demo page in Debian's chromium against the real server, with 3-second access tokens so
// the automatic refresh happens during the test.

/** Waits past the first access token's lifetime; the page must have refreshed and the API still answer. */
async function expectCallAfterExpiry(page: Page): Promise<void> {
  await page.waitForTimeout(LIFETIME_MS + 500);
  await page.locator('#activity li.refresh').first().waitFor();
  assert.match(await callApi(page), /^200:/, 'still accepted after the first access token expired');
}

async function signOutAndExpectRefusal(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByLabel('Username', { exact: true }).waitFor();
  assert.match(await callApi(page), /^401:/, 'the API refuses the call after sign-out');
}

describe('browser: demo page', { skip: skipWithoutChromium }, () => {
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  it('signs up, calls the API through an automatic refresh, signs out, and explains a wrong password', { timeout: 45_000 }, async () => {
    const tokenServer = await startServer();
    try {
      await withLogs(tokenServer, async (server) => {
        const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
        try {
          const page = await context.newPage();
          await page.goto(server.baseUrl);
          await signUp(page, 'alice');
          assert.match(await callApi(page), /^200:/);
          assert.match((await page.locator('#api-result').textContent()) ?? '', /"username": "alice"/);

          await saveScreenshot(page, 'signed-in');
          assert.ok(await page.getByRole('heading', { name: 'Signed in as alice' }).isVisible());

          await expectCallAfterExpiry(page);

          await signOutAndExpectRefusal(page);

          await expectSignInRefused(page, 'alice', 'not the password');
        } finally {
          await context.close();
        }
      });
    } finally {
      await tokenServer.stop();
    }
  });

  describe('cookie mode (GATEHOUSE_REFRESH_COOKIE=on)', () => {
    let cookieServer: SpawnedServer | undefined;
    before(async () => {
      cookieServer = await startServer({ GATEHOUSE_REFRESH_COOKIE: 'on' });
    });
    after(async () => {
      await cookieServer?.stop();
    });

    it('on a phone-sized screen keeps the refresh token out of JavaScript', { timeout: 45_000 }, async () => {
      await withLogs(cookieServer, async (server) => {
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
        try {
          const page = await context.newPage();
          await page.goto(`${server.baseUrl}/?storage=cookie`);
          await signUp(page, 'carol');
          assert.ok(
            await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
            'no horizontal scrolling on a phone',
          );

          const cookies = await context.cookies(`${server.baseUrl}/api/token/refresh/`);
          const refresh = cookies.find((cookie) => cookie.name === 'gatehouse_refresh');
          assert.ok(refresh !== undefined && refresh.value !== '', 'the server set the refresh cookie');
          assert.equal(refresh.httpOnly, true);
          const seen = await page.evaluate(() => ({
            cookie: document.cookie,
            stored: Object.keys(localStorage).map((key) => localStorage.getItem(key) ?? ''),
          }));
          assert.ok(!seen.cookie.includes('gatehouse_refresh'), 'document.cookie cannot see the refresh cookie');
          assert.ok(!seen.stored.some((value) => value.includes(refresh.value) || value.startsWith('eyJ')), 'no token in localStorage');

          // A reload forgets the access token; the cookie brings the session back. (Right after
          // sign-in, so the reload cannot cut a refresh in half.)
          await page.reload();
          await page.locator('#who', { hasText: 'carol' }).waitFor();

          await expectCallAfterExpiry(page);

          await signOutAndExpectRefusal(page);
        } finally {
          await context.close();
        }
      });
    });

    it('two tabs share one cookie session without tripping reuse detection', { timeout: 45_000 }, async () => {
      await withLogs(cookieServer, async (server) => {
        const context = await browser.newContext();
        try {
          const refreshStatuses: number[] = [];
          context.on('response', (response) => {
            if (new URL(response.url()).pathname === '/api/token/refresh/') refreshStatuses.push(response.status());
          });
          const first = await context.newPage();
          await first.goto(`${server.baseUrl}/?storage=cookie`);
          await signUp(first, 'dave');
          refreshStatuses.length = 0; // the signed-out page's restore attempt (400, no cookie yet) does not count
          const second = await context.newPage();
          await second.goto(`${server.baseUrl}/?storage=cookie`);
          await second.locator('#signed-in').waitFor(); // resumed from the shared cookie

          // Both tabs now hold the same session and schedule their refresh for the same moment.
          await first.waitForTimeout(2 * LIFETIME_MS + 500);
          await second.locator('#activity li.refresh', { hasText: 'in another tab' }).first().waitFor();
          assert.match(await callApi(first), /^200:/);
          assert.match(await callApi(second), /^200:/);
          // Two tabs spending the same refresh cookie would get a 401 (reuse) and lose the session.
          assert.ok(refreshStatuses.length >= 3, `restore and refreshes happened: ${refreshStatuses.join(',')}`);
          assert.deepEqual(refreshStatuses.filter((status) => status !== 200), [], 'every refresh was accepted');
          for (const page of [first, second]) {
            assert.equal(await page.getByRole('alert').filter({ hasText: 'expired' }).count(), 0);
          }
        } finally {
          await context.close();
        }
      });
    });
  });
});
