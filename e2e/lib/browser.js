// Debian's Chromium driven by playwright-core, and the steps every flow shares: signing in
// as a demo user through the sandbox's sign-in page.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = process.env.SPENDBOARD_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** The sandbox's demo users, by the name its sign-in page shows. */
export const USERS = {
  editor: 'Adele Vance',
  reader: 'Megan Bowen',
  noRole: 'Lee Gu',
  otherTenant: 'Pat Taylor',
};

/** The two widths every page is checked at. */
export const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
];

/** Launches headless Chromium. */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh browser context (its own cookies) on `baseUrl`. `bypassCSP` is only for contexts
 * that inject axe-core; the flows run under the real Content-Security-Policy, and every
 * console error (a CSP violation, a script error, a missing file) is collected in
 * `context.consoleErrors` as `<url of its source>: <message>`.
 */
export async function newContext(browser, baseUrl, { bypassCSP = false, viewport = VIEWPORTS[0] } = {}) {
  const context = await browser.newContext({ baseURL: baseUrl, bypassCSP, viewport, locale: 'en-GB' });
  context.setDefaultTimeout(15_000);
  context.consoleErrors = [];
  context.on('page', (page) => watch(context, page));
  return context;
}

function watch(context, page) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const source = message.location().url || page.url();
    // A page's own 4xx status (a refused form, the no-access page) is asserted by the tests.
    if (source === page.url() && message.text().startsWith('Failed to load resource')) return;
    context.consoleErrors.push(`${source}: ${message.text()}`);
  });
  page.on('pageerror', (error) => context.consoleErrors.push(`${page.url()}: ${error.message}`));
}

/**
 * Signs in from Spendboard's sign-in page as one of `USERS`, through the sandbox's sign-in
 * page, and returns once the browser is back on Spendboard (`/` or wherever it was sent).
 */
export async function signIn(page, user, { from = '/sign-in' } = {}) {
  await page.goto(from);
  const app = new URL(page.url()).origin;
  await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
  await page.getByRole('heading', { name: 'Sign in to Partner Center sandbox' }).waitFor();
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await page.waitForURL((url) => url.origin === app);
}

/**
 * Signs in and waits until the dashboard shows data: the first visit of an empty store goes
 * through the refresh progress page, which reloads itself until the refresh is done.
 */
export async function signInAndLoad(page, user) {
  await signIn(page, user);
  await waitForDashboard(page);
}

/** From wherever the sign-in landed (dashboard or refresh progress), on to the dashboard. */
export async function waitForDashboard(page) {
  if (new URL(page.url()).pathname === '/refresh') {
    await waitForRefreshToEnd(page);
    await page.getByRole('link', { name: 'Open the dashboard' }).click();
  }
  await page.getByRole('heading', { level: 1, name: "Customers' Azure spend this billing period" }).waitFor();
}

/**
 * On the refresh progress page, waits until it shows "Data refreshed": the page updates
 * itself (with JavaScript), and the "Check progress" link is followed every few seconds in
 * case it does not (without JavaScript). Fails on "The refresh failed".
 */
export async function waitForRefreshToEnd(page, { timeout = 30_000 } = {}) {
  const done = page.getByRole('heading', { level: 1, name: 'Data refreshed' });
  const failed = page.getByRole('heading', { level: 1, name: 'The refresh failed' });
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    try {
      await done.or(failed).waitFor({ timeout: 3_000 });
    } catch {
      await page.getByRole('link', { name: 'Check progress' }).click();
      continue;
    }
    if (await failed.count()) throw new Error(`the refresh failed: ${await page.locator('main').textContent()}`);
    return;
  }
  throw new Error('the refresh did not end in time');
}
