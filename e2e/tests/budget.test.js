// Changing and removing a customer's budget through the form, a refused amount, and a form
// that went stale while another editor saved.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { newContext, signInAndLoad, USERS } from '../lib/browser.js';
import { withSignedInPage } from '../lib/suite.js';
import { amount, customerTable, readTable } from '../lib/tables.js';

describe('the budget form', { timeout: 180_000 }, () => {
  let app;
  let browser;
  let page;
  /** Customers with a budget, by currency, from the dashboard; each test takes its own. */
  let budgeted;

  withSignedInPage(USERS.editor, (started) => ({ app, browser, page } = started));

  before(async () => {
    const { headers, rows } = await readTable(customerTable(page));
    const cell = (row, label) => row[headers.indexOf(label)];
    budgeted = rows
      .filter((row) => cell(row, 'Budget') !== 'none')
      .map((row) => ({ name: cell(row, 'Customer'), currency: cell(row, 'Currency') }));
  });

  /** A budgeted customer not used by another test, in a currency with cents unless `currency` says. */
  function takeCustomer(currency) {
    const index = budgeted.findIndex((c) => (currency ? c.currency === currency : c.currency !== 'JPY'));
    assert.ok(index >= 0, `a customer with a budget in ${currency ?? 'a currency with cents'}`);
    return budgeted.splice(index, 1)[0];
  }

  async function openCustomer(onPage, name) {
    await onPage.goto(`/?q=${encodeURIComponent(name)}`);
    await customerTable(onPage).getByRole('link', { name, exact: true }).click();
    await onPage.getByRole('heading', { level: 1, name }).waitFor();
  }

  /** Submits the form and returns the status of the POST's response. */
  async function save(onPage) {
    const [response] = await Promise.all([
      onPage.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/budget')),
      onPage.getByRole('button', { name: 'Save budget' }).click(),
    ]);
    await onPage.waitForLoadState();
    return response.status();
  }

  const figure = (onPage, term) => onPage.locator('.figures').getByRole('term').filter({ hasText: new RegExp(`^${term}$`) }).locator('+ dd');
  const history = (onPage) => onPage.getByRole('table').filter({ hasText: 'Partner Center request' });

  it('saves a new budget and shows it in the flash, the figures, the history and the dashboard', async () => {
    const { name, currency } = takeCustomer();
    await openCustomer(page, name);
    await page.getByLabel(`Monthly budget in ${currency}`).fill('2500.5');
    await page.getByLabel(/^Reason/).fill('Raised for the data-centre migration');
    assert.equal(await save(page), 303);

    assert.equal(new URL(page.url()).pathname.startsWith('/customers/'), true);
    assert.equal((await page.getByRole('status').textContent()).trim(), `Budget of ${name} set to 2,500.50 ${currency}.`);
    assert.equal((await figure(page, 'Budget').textContent()).trim(), `2,500.50 ${currency}`);
    assert.equal(await page.getByLabel(`Monthly budget in ${currency}`).inputValue(), '2500.50');
    const { headers, rows } = await readTable(history(page));
    const latest = Object.fromEntries(headers.map((h, i) => [h, rows[0][i]]));
    assert.equal(latest.Who, 'Adele Vance');
    assert.match(latest.Change, new RegExp(`→ 2,500\\.50 ${currency}$`));
    assert.equal(latest.Outcome, 'Applied');
    assert.equal(latest.Reason, 'Raised for the data-centre migration');
    assert.notEqual(latest['Partner Center request'], '');

    await page.goto(`/?q=${encodeURIComponent(name)}`);
    const dashboard = await readTable(customerTable(page));
    assert.equal(amount(dashboard.rows[0][dashboard.headers.indexOf('Budget')]), 2500.5);
  });

  it('removes a budget', async () => {
    const { name } = takeCustomer();
    await openCustomer(page, name);
    await page.getByLabel(/^Remove budget/).check();
    assert.equal(await save(page), 303);

    assert.equal((await page.getByRole('status').textContent()).trim(), `Budget of ${name} removed.`);
    assert.equal((await figure(page, 'Budget').textContent()).trim(), 'No budget');
    assert.equal((await figure(page, 'Status').textContent()).trim(), 'No budget');
    const { headers, rows } = await readTable(history(page));
    assert.match(rows[0][headers.indexOf('Change')], /→ no budget$/);

    await page.goto(`/?q=${encodeURIComponent(name)}`);
    const dashboard = await readTable(customerTable(page));
    assert.equal(dashboard.rows[0][dashboard.headers.indexOf('Budget')], 'none');
    assert.equal(dashboard.rows[0][dashboard.headers.indexOf('Status')], 'No budget');
  });

  for (const [typed, currency] of [['-25', null], ['12,50', null], ['1000.5', 'JPY']]) {
    it(`refuses the amount "${typed}"${currency ? ` in ${currency}` : ''} with the error next to the field and the input kept`, async () => {
      const customer = takeCustomer(currency);
      await openCustomer(page, customer.name);
      const before = (await figure(page, 'Budget').textContent()).trim();
      const input = page.getByLabel(`Monthly budget in ${customer.currency}`);
      await input.fill(typed);
      await page.getByLabel(/^Reason/).fill('kept too');
      assert.equal(await save(page), 422);

      assert.equal(await input.inputValue(), typed, 'the input is kept');
      assert.equal(await page.getByLabel(/^Reason/).inputValue(), 'kept too');
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      const error = page.locator(`#${await input.getAttribute('aria-describedby')}`);
      assert.ok((await error.textContent()).trim().length > 10, 'the error says what is wrong');
      assert.ok(await error.isVisible());
      const field = await input.boundingBox();
      const message = await error.boundingBox();
      assert.ok(
        message.y >= field.y + field.height && message.y - (field.y + field.height) < 40 && Math.abs(message.x - field.x) < 40,
        `the error sits right under the field (field ${JSON.stringify(field)}, error ${JSON.stringify(message)})`,
      );
      assert.equal((await figure(page, 'Budget').textContent()).trim(), before, 'nothing was saved');
      assert.equal(await page.getByRole('status').count(), 0, 'no success message');
    });
  }

  it('shows a form that went stale as a conflict and saves only when sent again', async () => {
    const { name, currency } = takeCustomer();
    const other = await (await newContext(browser, app.baseUrl)).newPage();
    await signInAndLoad(other, USERS.editor);
    await openCustomer(page, name);
    await openCustomer(other, name);

    await other.getByLabel(`Monthly budget in ${currency}`).fill('1111');
    assert.equal(await save(other), 303);

    const input = page.getByLabel(`Monthly budget in ${currency}`);
    await input.fill('2222');
    assert.equal(await save(page), 409);
    const conflict = (await page.getByRole('alert').textContent()).trim();
    assert.match(conflict, new RegExp(`it is now 1,111\\.00 ${currency}`));
    assert.match(conflict, /Nothing was saved/);
    assert.equal(await input.inputValue(), '2222', 'the amount typed is kept');
    const { headers, rows } = await readTable(history(page));
    assert.equal(rows[0][headers.indexOf('Outcome')], 'Not applied: changed meanwhile');
    assert.equal(rows[1][headers.indexOf('Outcome')], 'Applied');

    assert.equal(await save(page), 303);
    assert.equal((await page.getByRole('status').textContent()).trim(), `Budget of ${name} set to 2,222.00 ${currency}.`);
    await other.reload();
    assert.equal((await figure(other, 'Budget').textContent()).trim(), `2,222.00 ${currency}`);
    assert.deepEqual(other.context().consoleErrors.filter((line) => line.startsWith(app.baseUrl)), []);
    await other.context().close();
  });

  it('logged no error in the browser console, so nothing broke the Content-Security-Policy', () => {
    assert.deepEqual(page.context().consoleErrors.filter((line) => line.startsWith(app.baseUrl)), []);
  });
});
