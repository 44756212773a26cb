// The subscription page, as a person reaches and reads it: from the customer page's link,
// its resources by Azure subscription and resource group, its top resources, its meters, and
// for a legacy subscription the daily quantities; the CSV downloads; accessible and within
// the page's width at every checked size.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { USERS } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { withSignedInPage } from '../lib/suite.js';
import { amount, customerTable, readTable } from '../lib/tables.js';

describe('the subscription page', { timeout: 240_000 }, () => {
  let app;
  /** The reader's page, in a context where axe-core may be injected. */
  let page;
  /** Customer page URLs by plan: `{ azurePlan, legacy }`. */
  const customers = {};

  withSignedInPage(USERS.reader, (started) => ({ app, page } = started), { context: { bypassCSP: true } });

  before(async () => {
    await page.goto('/?sort=name');
    const links = await customerTable(page).locator('tbody th a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const url of links) {
      if (customers.azurePlan && customers.legacy) break;
      await page.goto(url);
      const hint = await page.locator('.page-head .hint').textContent();
      const plan = hint.startsWith('Azure plan') ? 'azurePlan' : 'legacy';
      customers[plan] ??= url;
    }
    assert.ok(customers.azurePlan && customers.legacy, 'the sandbox has customers of both kinds');
  });

  /** Opens the customer page at `url` and follows its first subscription's link. */
  async function openFirstSubscription(url) {
    await page.goto(url);
    const link = page.locator('section[aria-labelledby="subs-heading"] tbody th a').first();
    const name = (await link.textContent()).trim();
    await link.click();
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
    return name;
  }

  it('opens from the customer page and adds the resources up to the subscription spend', async () => {
    await openFirstSubscription(customers.azurePlan);
    assert.match(await page.locator('.page-head .hint').textContent(), /^Azure plan · Subscription id /);
    const [spend, resources] = await page.locator('.figures dd').allTextContents();
    assert.equal(amount(spend), amount(resources), `${spend} = ${resources}`);

    const tables = page.locator('table.resources');
    assert.ok((await tables.count()) >= 2, 'one table per Azure subscription of the plan');
    let total = 0;
    for (const table of await tables.all()) {
      const caption = await table.locator('caption').textContent();
      const subtotal = amount(caption.split(': ').pop());
      const groups = await table.locator('tr.subtotal td.num').allTextContents();
      const sum = groups.reduce((s, g) => s + amount(g), 0);
      assert.ok(Math.abs(sum - subtotal) < 0.015 * groups.length, `${caption}: groups add up to ${sum}`);
      total += subtotal;
    }
    assert.ok(Math.abs(total - amount(spend)) < 0.05, `${total} ≈ ${spend}`);

    const top = await readTable(page.locator('table.top-resources'));
    assert.deepEqual(top.headers, ['#', 'Resource', 'Resource group', 'Azure subscription', 'Spend', 'Share']);
    const spends = top.rows.map((r) => amount(r[4]));
    assert.deepEqual(spends, [...spends].sort((a, b) => b - a), 'most expensive first');

    const meters = await readTable(page.locator('table.meters'));
    assert.deepEqual(meters.headers, ['Meter', 'Subcategory', 'Quantity', 'Unit', 'Spend']);
    assert.ok(meters.rows.some((r) => r.length === 5 && r[3] !== ''), 'meters have a unit');
    assert.equal(await page.getByRole('heading', { name: 'Daily quantities' }).count(), 0);
    await checkPage(page, 'subscription-azure-plan');
  });

  it('shows a legacy subscription’s daily quantities with resource group and tags', async () => {
    await openFirstSubscription(customers.legacy);
    assert.match(await page.locator('.page-head .hint').textContent(), /^Legacy \(MS-AZR-0145P\)/);
    await page.getByRole('heading', { name: 'Daily quantities' }).waitFor();
    const table = page.locator('table.daily');
    const { headers } = await readTable(table);
    assert.deepEqual(headers, ['Resource', 'Resource group', 'Meter', 'Quantity', 'Unit', 'Tags']);
    const days = await table.locator('tr.subtotal time').allTextContents();
    assert.ok(days.length > 0);
    assert.ok(days.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)), days.join());
    assert.deepEqual(days, [...days].sort().reverse(), 'newest day first');
    const rows = await table.locator('tbody tr:not(.subtotal)').evaluateAll((trs) =>
      trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim())));
    assert.ok(rows.length >= days.length);
    for (const row of rows) {
      assert.notEqual(row[1], '', 'a resource group');
      assert.notEqual(amount(row[3]), null, `a quantity: ${row[3]}`);
      assert.match(row[5], /=/, 'tags as key=value');
    }
    await checkPage(page, 'subscription-legacy');
  });

  it('downloads the resources and meters as CSV, with a header row', async () => {
    await openFirstSubscription(customers.azurePlan);
    for (const name of ['resources', 'meters']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('.exports').getByRole('link', { name }).click(),
      ]);
      assert.match(download.suggestedFilename(), new RegExp(`^${name}-[0-9a-f-]{36}\\.csv$`));
      const text = await new Promise((resolve, reject) => {
        download.createReadStream().then((stream) => {
          const chunks = [];
          stream.on('data', (c) => chunks.push(c));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          stream.on('error', reject);
        }, reject);
      });
      const [header] = text.split('\n');
      assert.ok(header.startsWith('subscription_id,'), header);
      assert.ok(header.includes('currency') && header.includes('spend'), header);
    }
  });

  it('offers the dashboard, with its filter and sort, as CSV', async () => {
    await page.goto('/?status=over&sort=spend&dir=desc');
    const href = await page.getByRole('link', { name: 'download them as CSV' }).getAttribute('href');
    const url = new URL(href, app.baseUrl);
    assert.equal(url.pathname, '/customers.csv');
    assert.equal(url.searchParams.get('status'), 'over');
    assert.equal(url.searchParams.get('sort'), 'spend');
    assert.equal(url.searchParams.get('dir'), 'desc');
  });
});
