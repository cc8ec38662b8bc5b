import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { spawnServer, testDistDir } from './spawn-server.js';
import type { SpawnedServer } from './spawn-server.js';

// What the browser tests share: Debian's chromium, a server with short-lived access tokens, and
// the demo page's sign-up, sign-in and API call as a person would do them.

export const CHROMIUM = '/usr/bin/chromium';
export const PASSWORD = 'long enough password';
export const LIFETIME_MS = 3000;
const ARTIFACTS = path.resolve(process.cwd(), 'test-artifacts');
const missing = !existsSync(CHROMIUM);

/** For `describe(…, { skip })`: in CI a missing browser is a failure (launch throws); on a laptop a skip with the fix. */
export const skipWithoutChromium: string | false =
  missing && process.env['CI'] === undefined ? `${CHROMIUM} not found: apt-get install -y chromium` : false;

/** Headless chromium, once the demo page is built. */
export async function launchChromium(): Promise<Browser> {
  if (missing) throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium (.ci/run does).`);
  const page = path.join(testDistDir(), 'public', 'index.html');
  if (!existsSync(page)) throw new Error(`${page} is missing: the demo page is built by node web/build.mjs (npm run build).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

/** A server whose access tokens live {@link LIFETIME_MS}, so automatic refreshes happen during a test. */
export function startServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: `${LIFETIME_MS / 1000}s`, ...env });
}

/** Runs a scenario and, when it fails, shows what the server logged. */
export async function withLogs(server: SpawnedServer | undefined, run: (server: SpawnedServer) => Promise<void>): Promise<void> {
  if (server === undefined) throw new Error('the server did not start');
  try {
    await run(server);
  } catch (error) {
    process.stderr.write(`server output:\n${server.logs()}\n`);
    throw error;
  }
}

async function submitCredentials(page: Page, username: string, password: string, button: 'Sign up' | 'Sign in'): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: button, exact: true }).click();
}

export async function signUp(page: Page, username: string): Promise<void> {
  await submitCredentials(page, username, PASSWORD, 'Sign up');
  await page.locator('#who', { hasText: username }).waitFor();
}

/** Signs in and waits for the signed-in view. */
export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await submitCredentials(page, username, password, 'Sign in');
  await page.locator('#who', { hasText: username }).waitFor();
}

/** Tries to sign in with a wrong password: the page says so and stays signed out. */
export async function expectSignInRefused(page: Page, username: string, password: string): Promise<void> {
  await submitCredentials(page, username, password, 'Sign in');
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
  assert.ok(await page.locator('#signed-in').isHidden());
}

/** Presses "Call /api/me/" and answers the status line, e.g. "200: the API accepted the access token." */
export async function callApi(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Call /api/me/' }).click();
  const status = page.locator('#api-status');
  await status.filter({ hasText: /^\d{3}:/ }).waitFor();
  return (await status.textContent()) ?? '';
}

/** Distinct byte values in the decoded pixel rows of a PNG: a blank page has only a handful. */
function pngByteVariety(png: Buffer): number {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    if (type === 'IDAT') chunks.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return new Set(inflateSync(Buffer.concat(chunks))).size;
}

/** A screenshot of the whole page (or of one element) in `test-artifacts/NAME.png`, checked not to be blank. */
export async function saveScreenshot(target: Page | Locator, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const screenshot = 'goto' in target ? await target.screenshot({ fullPage: true }) : await target.screenshot();
  await writeFile(path.join(ARTIFACTS, `${name}.png`), screenshot);
  assert.ok(screenshot.length > 5000, 'the screenshot has content');
  assert.ok(pngByteVariety(screenshot) > 32, 'the screenshot is not blank');
}
