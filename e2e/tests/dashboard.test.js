// The dashboard: every sandbox customer, sorting by each column, search, paging, and
// opening a customer.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { USERS } from '../lib/browser.js';
import { withSignedInPage } from '../lib/suite.js';
import { amount, column, customerTable, readTable } from '../lib/tables.js';

/** Statuses from the most urgent, the order of the Status column ascending. */
const STATUS_ORDER = ['Over budget', 'Near budget', 'On pace to exceed', 'Within budget', 'No budget'];

describe('the dashboard', { timeout: 180_000 }, () => {
  let app;
  let page;
  withSignedInPage(USERS.reader, (started) => ({ app, page } = started));

  it('lists the 60 sandbox customers on two pages of 50 and 10', async () => {
    await page.goto('/');
    assert.match(await page.locator('#rules').textContent(), /60 matching customers/);
    const first = await column(page, 'Customer');
    assert.equal(first.length, 50);
    assert.match(await page.getByRole('navigation', { name: 'Pages' }).textContent(), /Page 1 of 2/);
    assert.equal(await page.getByRole('link', { name: /Previous/ }).count(), 0);

    await page.getByRole('link', { name: /Next/ }).click();
    await page.getByText('Page 2 of 2').waitFor();
    const second = await column(page, 'Customer');
    assert.equal(second.length, 10);
    assert.equal(new Set([...first, ...second]).size, 60, 'no customer is listed twice');
    assert.equal(await page.getByRole('link', { name: /Next/ }).count(), 0);

    await page.getByRole('link', { name: /Previous/ }).click();
    await page.getByText('Page 1 of 2').waitFor();
    assert.deepEqual(await column(page, 'Customer'), first);
  });

  it('states the totals per currency without adding currencies together', async () => {
    await page.goto('/');
    const { rows } = await readTable(page.locator('table.totals'));
    const currencies = rows.map((r) => r[0]);
    assert.equal(new Set(currencies).size, currencies.length);
    assert.equal(rows.reduce((sum, r) => sum + Number(r[3]), 0), 60, 'every customer is counted once');
    for (const [currency, total] of rows) assert.ok(total.endsWith(currency), `${total} is in ${currency}`);
  });

  /** How the values of the columns with a clear order compare; other columns are checked for their sort state only. */
  const orders = {
    // Names sort without accents or case ("Bäckerei" as "backerei").
    Customer: { value: (t) => t.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase(), compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0) },
    Spend: { value: amount, compare: (a, b) => a - b },
    Budget: { value: amount, compare: (a, b) => a - b },
    '% used': { value: amount, compare: (a, b) => a - b },
    Projected: { value: amount, compare: (a, b) => a - b },
    Status: { value: (t) => STATUS_ORDER.indexOf(t), compare: (a, b) => a - b },
    Currency: { value: (t) => t, compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0) },
  };

  it('sorts by every column, ascending and then descending, when its header is clicked twice', async () => {
    await page.goto('/');
    const { headers } = await readTable(customerTable(page));
    for (const label of ['Customer', 'Spend', 'Budget', '% used', 'Status', 'Data age']) {
      assert.ok(headers.includes(label), `a "${label}" column`);
    }
    for (const label of headers) {
      // Start from another column's order (the default order is by customer name).
      await page.goto(label === 'Customer' ? '/?sort=spend' : '/');
      const header = customerTable(page).getByRole('columnheader', { name: label, exact: true });
      for (const direction of ['ascending', 'descending']) {
        await header.getByRole('link').click();
        await page.waitForURL(new RegExp(`dir=${direction === 'ascending' ? 'asc' : 'desc'}`));
        assert.equal(await header.getAttribute('aria-sort'), direction, `${label} is marked ${direction}`);
        assert.equal(
          await page.locator('table.customers th[aria-sort]:not([aria-sort="none"])').count(),
          1,
          'one column is marked sorted',
        );
        const cells = await column(page, label);
        assert.equal(cells.length, 50, `${label} ${direction}: a full first page`);
        const order = orders[label];
        if (!order) continue;
        const values = cells.map(order.value);
        const present = values.filter((v) => v !== null && v !== -1);
        const missing = values.slice(present.length);
        assert.ok(missing.every((v) => v === null || v === -1), `${label} ${direction}: rows without a value come last`);
        const sign = direction === 'ascending' ? 1 : -1;
        for (let i = 1; i < present.length; i += 1) {
          assert.ok(
            sign * order.compare(present[i - 1], present[i]) <= 0,
            `${label} ${direction}: "${cells[i - 1]}" before "${cells[i]}"`,
          );
        }
        assert.ok(new Set(present).size > 1, `${label}: the page holds different values to sort`);
      }
    }
  });

  it('finds customers by part of their name and keeps the search when sorting', async () => {
    await page.goto('/');
    await page.getByLabel('Search by name').fill('telecom');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/q=telecom/);
    const names = await column(page, 'Customer');
    assert.ok(names.length > 0 && names.length < 60, `some customers match: ${names.length}`);
    for (const name of names) assert.match(name, /telecom/i);
    assert.match(await page.locator('#rules').textContent(), new RegExp(`\\b${names.length} matching customers?\\b`));

    await customerTable(page).getByRole('columnheader', { name: 'Spend', exact: true }).getByRole('link').click();
    await page.waitForURL(/sort=spend/);
    assert.equal(await page.getByLabel('Search by name').inputValue(), 'telecom');
    assert.deepEqual((await column(page, 'Customer')).sort(), [...names].sort());

    await page.getByLabel('Search by name').fill('no customer is called this');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No customer matches.').waitFor();
    await page.getByRole('link', { name: 'Clear' }).click();
    assert.match(await page.locator('#rules').textContent(), /60 matching customers/);
  });

  it('filters by status', async () => {
    await page.goto('/');
    await page.getByLabel('Status').selectOption({ label: 'Over budget' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=over/);
    const statuses = await column(page, 'Status');
    assert.ok(statuses.length > 0);
    assert.deepEqual([...new Set(statuses)], ['Over budget']);
    const over = await page.getByRole('term').filter({ hasText: /^Over budget$/ }).locator('+ dd').textContent();
    assert.equal(statuses.length, Number.parseInt(over, 10));
  });

  it('opens a customer with the figures the dashboard showed', async () => {
    await page.goto('/');
    const { headers, rows } = await readTable(customerTable(page));
    const row = rows.find((cells) => cells[headers.indexOf('Budget')] !== 'none');
    const name = row[headers.indexOf('Customer')];
    await customerTable(page).getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.match(await page.title(), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const figures = page.locator('.figures');
    assert.match(await figures.textContent(), new RegExp(row[headers.indexOf('Spend')].replace(/[.]/g, '\\.')));
    assert.match(await figures.textContent(), new RegExp(row[headers.indexOf('Status')]));
    assert.ok(await page.getByRole('table').filter({ hasText: 'Subscription' }).locator('tbody tr').count() >= 1);
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Customers' }).click();
    await customerTable(page).waitFor();
  });

  it('logged no error in the browser console, so nothing broke the Content-Security-Policy', () => {
    // The sandbox's sign-in page included: it asks for no favicon it does not have.
    assert.deepEqual(page.context().consoleErrors, []);
  });
});
