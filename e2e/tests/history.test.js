// The customer page's spend history, forecast and charts, over days simulated with the
// sandbox's clock: the charts are drawn (under the real Content-Security-Policy), named by
// their <title>/<desc>, backed by a data table, accessible and within the page's width.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { launch, newContext, signInAndLoad, USERS, waitForRefreshToEnd } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { startApp } from '../lib/servers.js';
import { amount, customerTable, readTable } from '../lib/tables.js';

describe('the customer page history and charts', { timeout: 240_000 }, () => {
  let app;
  let browser;
  /** Under the real CSP; every console error is collected. */
  let page;
  /** A customer with spend and a budget: `{ name, url, projected }` from the dashboard. */
  let customer;

  before(async () => {
    app = await startApp();
    // Noon on 3 November: the sandbox's usage of the 3rd, then three more days.
    await app.control('PUT', '/_sandbox/clock', { now: '2026-11-03T12:00:00Z' });
    browser = await launch();
    page = await (await newContext(browser, app.baseUrl)).newPage();
    await signInAndLoad(page, USERS.editor);
    for (let day = 0; day < 3; day += 1) {
      await app.control('POST', '/_sandbox/clock/advance', { days: 1 });
      await page.goto('/');
      await page.getByRole('button', { name: 'Refresh now' }).click();
      await waitForRefreshToEnd(page);
    }
    await page.goto('/?sort=name');
    const { headers, rows } = await readTable(customerTable(page));
    const cell = (row, label) => row[headers.indexOf(label)];
    const row = rows.find((r) => cell(r, 'Budget') !== 'none' && amount(cell(r, 'Spend')) > 0);
    customer = {
      name: cell(row, 'Customer'),
      url: await customerTable(page).getByRole('link', { name: cell(row, 'Customer'), exact: true }).getAttribute('href'),
      projected: cell(row, 'Projected'),
    };
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('states the projection the dashboard shows, with its method and the days it is based on', async () => {
    await page.goto(customer.url);
    const forecast = (await page.locator('.forecast').textContent()).replace(/\s+/g, ' ');
    assert.match(forecast, /Projected .+ at month end \(30 Nov 2026\), from the average of the last 3 days' spend, based on 3 days\./);
    assert.ok(forecast.includes(`Projected ${customer.projected} at month end`), `${forecast} vs ${customer.projected}`);
  });

  /** Console errors of the customer page alone (other pages are checked by their own tests). */
  async function openCustomer() {
    page.context().consoleErrors.length = 0;
    await page.goto(customer.url);
  }

  it('draws the cumulative and daily charts, named by their title and description', async () => {
    await openCustomer();
    const cumulative = page.getByRole('img', { name: /Cumulative spend against the budget/ });
    const daily = page.getByRole('img', { name: /Spend per day in this billing period/ });
    for (const chart of [cumulative, daily]) {
      await chart.waitFor();
      const box = await chart.boundingBox();
      assert.ok(box.width > 300 && box.height > 100, `a visible chart: ${JSON.stringify(box)}`);
    }
    // The line starts at the period start and has a point per recorded day (3 to 6 Nov).
    const points = await page.locator('svg.chart-cumulative polyline.chart-spend').getAttribute('points');
    assert.equal(points.trim().split(/\s+/).length, 5);
    assert.equal(await page.locator('svg.chart-daily rect.chart-bar').count(), 3);
    // The description says what the chart shows, in words.
    assert.match(await page.locator('svg.chart-cumulative desc').textContent(), /from 4 recorded days/);

    const { headers, rows } = await readTable(page.getByRole('table', { name: 'Recorded days of this billing period' }));
    assert.deepEqual(headers.slice(0, 2), ['Day', 'Spend that day']);
    assert.deepEqual(rows.map((r) => r[0]), ['3 Nov', '4 Nov', '5 Nov', '6 Nov']);
    assert.equal(rows[0][1], 'day before not recorded');
    assert.deepEqual(page.context().consoleErrors, [], 'no CSP violation or script error');
  });

  it('shows the top resources once a subscription was opened', async () => {
    await page.goto(customer.url);
    assert.match(await page.locator('.spend-history').textContent(), /has not read this customer's resources yet/);
    const subscription = page.locator('a[href*="/subscriptions/"]:not([href$=".csv"])').first();
    await subscription.click();
    await page.waitForLoadState();
    await openCustomer();
    const chart = page.getByRole('img', { name: /most expensive resources/ });
    await chart.waitFor();
    const bars = await page.locator('svg.chart-resources rect.chart-bar').count();
    assert.ok(bars >= 1 && bars <= 5, `${bars} bars`);
    await page.getByText('Data of this chart').click();
    const { rows } = await readTable(page.locator('.chart-data table'));
    assert.equal(rows.length, bars);
    assert.deepEqual(page.context().consoleErrors, []);
  });

  it('passes axe-core and fits at every width', async () => {
    const checked = await (await newContext(browser, app.baseUrl, { bypassCSP: true })).newPage();
    await signInAndLoad(checked, USERS.reader);
    await checked.goto(customer.url);
    await checked.getByRole('img', { name: /Cumulative spend/ }).waitFor();
    await checkPage(checked, 'customer-history');
  });
});
