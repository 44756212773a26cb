// The price explorer, a meter's regions compared and a customer's what-if plan, as a person
// uses them: searching the rate card, following "Compare regions", a refused quantity shown
// next to its field, a plan calculated, refused and saved; each page accessible (axe-core)
// and within the page's width at every checked size.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { USERS } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { withSignedInPage } from '../lib/suite.js';
import { amount, customerTable, readTable } from '../lib/tables.js';

describe('prices and what-if plans', { timeout: 240_000 }, () => {
  let page;
  withSignedInPage(USERS.editor, (started) => ({ page } = started), { context: { bypassCSP: true } });

  /** Opens the explorer and waits until a rate card is shown (the first visit reads it). */
  async function openPrices(query = '') {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await page.goto(`/prices${query}`);
      if (await page.locator('#rate-card-date').count()) return;
      await page.waitForTimeout(500);
    }
    throw new Error('no rate card was shown within a minute');
  }

  it('searches the rate card and says what its prices are', async () => {
    await page.getByRole('link', { name: 'Azure prices' }).click();
    await openPrices('?currency=EUR');
    assert.match(await page.locator('#scope').textContent(), /before any partner discount or credit and without tax/);
    await page.getByLabel('Name, category, subcategory or region contains').fill('d4s v3');
    await page.getByRole('button', { name: 'Search' }).click();
    const meters = await readTable(page.locator('table.meters'));
    assert.ok(meters.rows.length >= 8, 'D4s v3 in every region');
    assert.ok(meters.rows.every((r) => /D4s v3/.test(r[0]) || /Dsv3/.test(r[1])), JSON.stringify(meters.rows[0]));
    assert.ok(meters.rows.every((r) => / EUR/.test(r[4])), 'prices with their currency');
    await checkPage(page, 'prices');
  });

  it('compares a meter across regions, cheapest first, and refuses a bad quantity next to the field', async () => {
    await page.getByRole('link', { name: /Compare regions/ }).first().click();
    await page.getByRole('heading', { level: 1, name: /in every region/ }).waitFor();
    const regions = await readTable(page.locator('table.regions'));
    const costs = regions.rows.map((r) => amount(r[2]));
    assert.ok(costs.length >= 2);
    assert.deepEqual(costs, [...costs].sort((a, b) => a - b), 'cheapest first');
    await checkPage(page, 'meter-regions');

    await page.getByLabel(/Quantity per month/).fill('-3');
    await page.getByRole('button', { name: 'Compare' }).click();
    const field = page.getByLabel(/Quantity per month/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#quantity-error').textContent(), /cannot be negative/);
    await checkPage(page, 'meter-regions-error');
  });

  it("compares a subscription's meters across regions", async () => {
    await page.goto('/?sort=name');
    await customerTable(page).locator('tbody th a').first().click();
    await page.locator('section[aria-labelledby="subs-heading"] tbody th a').first().click();
    await page.getByRole('link', { name: "Compare these meters' prices in every region" }).click();
    await page.getByRole('heading', { level: 1, name: "The subscription's meters in every region" }).waitFor();
    const tables = page.locator('table.regions');
    assert.ok((await tables.count()) > 0, 'some meters are on the rate card');
    const first = await readTable(tables.first());
    const costs = first.rows.map((r) => amount(r[2]));
    assert.deepEqual(costs, [...costs].sort((a, b) => a - b), 'cheapest first');
    await checkPage(page, 'subscription-regions');
  });

  it('calculates, refuses and saves a what-if plan on a customer', async () => {
    await page.goto('/?sort=name');
    await customerTable(page).locator('tbody th a').first().click();
    await page.getByRole('link', { name: 'What-if plans' }).click();
    await page.getByRole('heading', { level: 1, name: /What if/ }).waitFor();
    await checkPage(page, 'what-if');

    await page.getByLabel('Meter (search words or meter id)').first().fill('d4s v3 eu west');
    await page.getByLabel('Quantity (instances, or units)').first().fill('four');
    await page.getByLabel('Hours per day (instances only)').first().fill('24');
    await page.getByRole('button', { name: 'Calculate' }).click();
    assert.match(await page.locator('#line0_quantity-error').textContent(), /plain number/);
    assert.equal(await page.locator('#new-projection').count(), 0, 'nothing priced with a bad quantity');
    await checkPage(page, 'what-if-error');

    await page.getByLabel('Quantity (instances, or units)').first().fill('4');
    await page.getByLabel('Plan name (to save it)').fill('Four D4s v3');
    await page.getByRole('button', { name: 'Calculate' }).click();
    await page.locator('#new-projection').waitFor();
    assert.match(await page.locator('#budget-to-stay').textContent(), /keeps the customer within it/);
    await page.getByRole('button', { name: 'Save plan' }).click();
    assert.match(await page.locator('.flash').textContent(), /Plan “Four D4s v3” saved/);
    const plans = await readTable(page.locator('table.plans'));
    assert.equal(plans.rows[0][0], 'Four D4s v3');
    await checkPage(page, 'what-if-saved');
  });
});
