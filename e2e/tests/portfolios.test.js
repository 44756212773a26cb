// Portfolios: an owner added on the customer page, the dashboard's "My customers" with its
// numbers, "All customers", and the first screen at 1024x768 showing customers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { USERS } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { withSignedInPage } from '../lib/suite.js';
import { column, customerTable } from '../lib/tables.js';

/** Adele Vance's sign-in name in the sandbox. */
const ADELE = 'adele@northwindcsp.onmicrosoft.com';

describe('portfolios', { timeout: 180_000 }, () => {
  let page;
  withSignedInPage(USERS.editor, (started) => ({ page } = started), { context: { bypassCSP: true } });

  it('shows every customer to someone who owns none, and the customer table on the first screen at 1024x768', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto('/');
    assert.equal(await page.locator('.sets [aria-current=page]').textContent(), 'All customers');
    assert.match(await page.locator('#rules').textContent(), /60 matching customers/);
    const firstRow = customerTable(page).locator('tbody tr').first();
    const box = await firstRow.boundingBox();
    assert.ok(box.y + box.height <= 768, `the first customer row ends at ${box.y + box.height} px, within the 768 px window`);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('adds an owner on the customer page, with an error next to the field for a bad name', async () => {
    await page.goto('/');
    const [name] = await column(page, 'Customer');
    await customerTable(page).getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.match(await page.locator('#no-owner').textContent(), /Nobody owns this customer/);

    await page.getByLabel('Add an owner by sign-in name').fill('adele');
    await page.getByRole('button', { name: 'Add owner' }).click();
    await page.locator('#owner-error').waitFor();
    assert.match(await page.locator('#owner-error').textContent(), /Not added/);
    assert.equal(await page.getByLabel('Add an owner by sign-in name').inputValue(), 'adele', 'the input is kept');
    await checkPage(page, 'customer-owner-error');

    await page.getByLabel('Add an owner by sign-in name').fill(ADELE.toUpperCase());
    await page.getByRole('button', { name: 'Add owner' }).click();
    await page.getByText(`${ADELE} now owns ${name}.`).waitFor();
    assert.deepEqual(await page.locator('.owner-list .owner-name').allTextContents(), [ADELE]);
    await checkPage(page, 'customer-owners');
  });

  it('then shows "My customers" by default, with their numbers, and "All customers" on request', async () => {
    await page.goto('/');
    assert.equal(await page.locator('.sets [aria-current=page]').textContent(), 'My customers');
    assert.match(await page.locator('#rules').textContent(), /\b1 matching customer\b/);
    assert.equal((await column(page, 'Customer')).length, 1);
    const customers = page.locator('.counts > div').filter({ hasText: /^Customers/ }).locator('dd');
    assert.match(await customers.textContent(), /^1\b/);
    assert.equal(await page.locator('table.totals tbody tr').count(), 1, 'one currency in the set');
    await checkPage(page, 'dashboard-my-customers');

    await page.getByRole('navigation', { name: 'Whose customers' }).getByRole('link', { name: 'All customers' }).click();
    await page.waitForURL(/owner=all/);
    assert.match(await page.locator('#rules').textContent(), /60 matching customers/);
    // The owner filter keeps the choice with a status filter.
    await page.getByLabel('Status').selectOption('none');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=none/);
    assert.equal(await page.getByLabel('Owner', { exact: true }).inputValue(), 'all');
  });
});
