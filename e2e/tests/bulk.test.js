// Bulk budget changes in the browser: all customers matching a filter (across pages) or
// checked rows, the preview, a refused amount next to its field, and the progress page until
// every change is applied; axe on each page.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newContext, signInAndLoad, USERS } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { withSignedInPage } from '../lib/suite.js';
import { customerTable, readTable } from '../lib/tables.js';

describe('bulk budget changes', { timeout: 240_000 }, () => {
  let app;
  let browser;
  let page;
  withSignedInPage(USERS.editor, (started) => ({ app, browser, page } = started), { context: { bypassCSP: true } });

  it('refuses an amount with a thousands separator next to the field, keeping the selection', async () => {
    await page.goto('/?owner=all');
    const { headers, rows } = await readTable(customerTable(page));
    const [first, second] = rows;
    for (const row of [first, second]) await page.getByRole('checkbox', { name: `Select ${row[0]}` }).check();
    await page.getByRole('radio', { name: 'Set an amount' }).check();
    await page.getByLabel('Amount', { exact: true }).fill('1,500');
    await page.getByLabel('in', { exact: true }).selectOption(first[headers.indexOf('Currency')]);
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Change several budgets' }).waitFor();
    assert.match(await page.locator('#bulk-amount-error').textContent(), /without thousands separators/);
    assert.equal(await page.getByLabel('Amount', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.match(await page.getByRole('heading', { level: 2 }).first().textContent(), /2 selected customers/);
    await checkPage(page, 'bulk-form-error');
  });

  it('previews all customers matching a filter across pages, applies them and shows the progress to the end', async () => {
    await page.goto('/?owner=all');
    assert.match(await page.getByRole('navigation', { name: 'Pages' }).textContent(), /Page 1 of 2/);
    await page.getByLabel('All 60 customers matching this filter, on every page').check();
    await page.getByRole('radio', { name: 'Raise or lower by a percentage' }).check();
    await page.getByLabel('Percentage', { exact: true }).fill('5');
    await page.getByLabel(/^Reason/).fill('price change');
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await page.getByRole('heading', { level: 1, name: /^Preview: bulk budget change/ }).waitFor();
    const { rows } = await readTable(page.locator('#batch-items'));
    assert.equal(rows.length, 60, 'every customer of both pages is in the preview');
    const changing = rows.filter((r) => r[3] !== '–').length;
    const leftOut = rows.filter((r) => /no budget to raise or lower/.test(r[5])).length;
    assert.equal(changing + leftOut, 60);
    assert.ok(changing > 0 && leftOut > 0, `${changing} change, ${leftOut} left out`);
    await checkPage(page, 'bulk-preview');

    await page.getByRole('button', { name: `Apply ${changing} changes` }).click();
    await page.getByRole('heading', { level: 1, name: /^Bulk budget change/ }).waitFor();
    // The page updates itself until everything is decided.
    await page.getByRole('heading', { level: 2, name: 'Finished' }).waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#count-applied').textContent(), String(changing));
    assert.equal(await page.locator('#count-remaining').textContent(), '0');
    assert.equal(await page.locator('#count-failed').textContent(), '0');
    const result = await readTable(page.locator('#batch-items'));
    assert.equal(result.rows.filter((r) => r[5] === 'Applied').length, changing);
    await checkPage(page, 'bulk-progress');

    // A reload shows the same.
    await page.reload();
    assert.equal(await page.locator('#count-applied').textContent(), String(changing));
    // The customer's history names the batch and the reason.
    const name = result.rows.find((r) => r[5] === 'Applied')[0];
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    const history = page.getByRole('table').filter({ hasText: 'Partner Center request' });
    assert.match(await history.textContent(), /in bulk change \d+/);
    assert.match(await history.textContent(), /price change/);
  });

  it('refuses an uploaded file with bad lines, listing each line, and previews a good one', async () => {
    await page.goto('/?owner=all');
    const { headers, rows } = await readTable(customerTable(page));
    const eur = rows.find((r) => r[headers.indexOf('Currency')] === 'EUR');
    await page.getByLabel('CSV file of budgets').setInputFiles({
      name: 'budgets.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`customer,amount\n"${eur[0]}","1,000"\nNobody Ltd,5\n`),
    });
    await page.getByRole('button', { name: 'Preview the uploaded budgets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Upload budgets' }).waitFor();
    const errors = await page.locator('#upload-errors li').allTextContents();
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^Line 2: .*thousands separators/);
    assert.match(errors[1], /^Line 3: no customer is named exactly "Nobody Ltd"/);
    await checkPage(page, 'bulk-upload-errors');

    await page.getByLabel('CSV file of budgets').setInputFiles({
      name: 'budgets.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`"${eur[0]}",4321,uploaded\n`),
    });
    await page.getByRole('button', { name: 'Preview the uploaded budgets' }).click();
    await page.getByRole('heading', { level: 1, name: /^Preview: bulk budget change/ }).waitFor();
    const preview = await readTable(page.locator('#batch-items'));
    assert.deepEqual(preview.rows.map((r) => [r[0], r[3]]), [[eur[0], '4,321.00 EUR']]);
  });

  it('shows readers no bulk controls', async () => {
    const reader = await (await newContext(browser, app.baseUrl)).newPage();
    await signInAndLoad(reader, USERS.reader);
    await reader.goto('/?owner=all');
    assert.equal(await reader.getByRole('button', { name: 'Preview the changes' }).count(), 0);
    assert.equal(await customerTable(reader).getByRole('checkbox').count(), 0);
    await reader.close();
  });
});
