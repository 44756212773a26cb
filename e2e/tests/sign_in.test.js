// Signing in as each demo user, being refused, and signing out.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newContext, signIn, signInAndLoad, USERS, waitForDashboard } from '../lib/browser.js';
import { withAppAndBrowser } from '../lib/suite.js';
import { column, customerTable } from '../lib/tables.js';

describe('signing in and out', { timeout: 180_000 }, () => {
  let app;
  let browser;
  const contexts = [];

  withAppAndBrowser((started) => ({ app, browser } = started));

  async function freshPage() {
    const context = await newContext(browser, app.baseUrl);
    contexts.push(context);
    return context.newPage();
  }

  it('an editor signs in and sees the dashboard with every sandbox customer', async () => {
    const page = await freshPage();
    await signInAndLoad(page, USERS.editor);
    const header = page.getByRole('banner');
    assert.match(await header.textContent(), /Adele Vance/);
    assert.match(await header.textContent(), /Budget editor/);
    assert.match(await page.getByRole('term').filter({ hasText: /^Customers$/ }).locator('+ dd').textContent(), /^60 customers in all$/);
    assert.match(await page.locator('#rules').textContent(), /60 matching customers/);
    assert.equal((await column(page, 'Customer')).length, 50);
    assert.deepEqual(page.context().consoleErrors.filter(onApp(app)), []);
  });

  it('a reader signs in, sees the customers, and gets no budget form', async () => {
    const page = await freshPage();
    await signInAndLoad(page, USERS.reader);
    assert.match(await page.getByRole('banner').textContent(), /Megan Bowen\s*Reader/);
    await customerTable(page).locator('tbody th a').first().click();
    await page.getByRole('heading', { level: 2, name: /^Usage this billing period/ }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Change the budget' }).count(), 0);
    assert.equal(await page.getByLabel(/Monthly budget/).count(), 0);
  });

  it('a user without a Spendboard role is shown the no-access page', async () => {
    const page = await freshPage();
    await signIn(page, USERS.noRole);
    await page.getByRole('heading', { name: 'No access to Spendboard' }).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /Lee Gu, your account has no Spendboard role/);
    assert.match(await page.title(), /No access/);
    // The refusal did not start a session: the dashboard still asks for sign-in.
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Spendboard' }).waitFor();
  });

  it('a user of another organization is shown the no-access page', async () => {
    const page = await freshPage();
    await signIn(page, USERS.otherTenant);
    await page.getByRole('heading', { name: 'No access to Spendboard' }).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /belongs to another organization/);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Spendboard' }).waitFor();
  });

  it('a customer page opened before sign-in is shown right after it', async () => {
    const page = await freshPage();
    await signInAndLoad(page, USERS.reader);
    const link = customerTable(page).locator('tbody th a').nth(3);
    const name = (await link.textContent()).trim();
    const target = await link.getAttribute('href');
    const stranger = await freshPage();
    await stranger.goto(target);
    assert.equal(new URL(stranger.url()).pathname, '/sign-in');
    await signIn(stranger, USERS.reader, { from: stranger.url() });
    assert.equal(new URL(stranger.url()).pathname, target);
    await stranger.getByRole('heading', { level: 1, name }).waitFor();
  });

  it('signing out ends the session and the back button shows no customer data', async () => {
    const page = await freshPage();
    await signIn(page, USERS.editor);
    await waitForDashboard(page);
    const link = customerTable(page).locator('tbody th a').first();
    const name = (await link.textContent()).trim();
    await link.click();
    await page.getByRole('heading', { level: 1, name }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');

    await page.goBack();
    await page.getByRole('heading', { name: 'Sign in to Spendboard' }).waitFor();
    assert.equal(await page.getByText(name).count(), 0, 'the customer page is not shown again');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);

    await page.goBack();
    await page.getByRole('heading', { name: 'Sign in to Spendboard' }).waitFor();
    assert.equal(await customerTable(page).count(), 0, 'the dashboard is not shown again');
  });

  it('logged no error in the browser console on any of these pages', () => {
    assert.deepEqual(contexts.flatMap((context) => context.consoleErrors).filter(onApp(app)), []);
  });
});

/** Console errors of Spendboard's own pages (the sandbox's sign-in page is not ours). */
function onApp(app) {
  return (line) => line.startsWith(app.baseUrl);
}
