// Budget alerts in the browser: the Alerts page (the partner-wide thresholds, what fired and
// each delivery's state; without a mail relay the messages are kept and shown), adding a
// threshold with a bad percentage and then a good one, and a customer's own thresholds on
// its page, an alert team with its webhook (a bad address refused next to the field), and
// the digest preferences. Every page is checked with axe-core and at both widths.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { USERS } from '../lib/browser.js';
import { checkPage } from '../lib/checks.js';
import { withSignedInPage } from '../lib/suite.js';
import { customerTable } from '../lib/tables.js';

describe('budget alerts', { timeout: 180_000 }, () => {
  let page;
  withSignedInPage(USERS.editor, (started) => ({ page } = started), {
    app: {
      env: {
        SPENDBOARD_ALERTS__PARTNER_ADDRESS: 'partner-alerts@northwindcsp.example',
        SPENDBOARD_ALERTS__DELIVER_EVERY_SECONDS: '1',
      },
    },
    context: { bypassCSP: true },
  });

  const percentField = (onPage) => onPage.getByLabel('Percentage of the budget');

  it('lists the thresholds and what the first refresh fired, with the kept messages', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Budget alerts' }).waitFor();
    const rules = page.locator('.alert-rules li');
    assert.deepEqual(
      (await rules.allTextContents()).map((t) => t.replace(/\s+/g, ' ').replace(' Remove', '').trim()),
      ['80 % of actual spend', '100 % of actual spend', '100 % of forecast spend'],
    );
    const fired = page.getByRole('table').filter({ hasText: 'Delivered to' });
    assert.ok((await fired.locator('tbody tr').count()) > 0, 'the sandbox has customers over their thresholds');
    // No relay is configured: the messages are kept (by the sender, within seconds), and
    // readable here.
    const kept = fired.getByText(/Kept in Spendboard/).first();
    for (let tries = 0; !(await kept.isVisible()) && tries < 30; tries += 1) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    assert.ok(await kept.isVisible(), 'the messages were kept');
    await fired.locator('details summary').first().click();
    assert.match(await fired.locator('pre.caught-mail').first().textContent(), /Open the customer in Spendboard: http/);
    await checkPage(page, 'alerts');
  });

  it('refuses a bad percentage next to the field, keeping the input, and saves a good one', async () => {
    await page.goto('/alerts');
    await page.getByLabel('Compared with').selectOption('forecast');
    await percentField(page).fill('80.5');
    await page.getByRole('button', { name: 'Add threshold' }).click();
    await page.waitForLoadState();
    const field = percentField(page);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await field.inputValue(), '80.5');
    assert.equal(await page.getByLabel('Compared with').inputValue(), 'forecast');
    const error = page.locator('#percent-error');
    assert.match(await error.textContent(), /Enter a whole percentage from 1 to 1000/);
    await checkPage(page, 'alerts-error');

    await field.fill('120');
    await page.getByRole('button', { name: 'Add threshold' }).click();
    await page.waitForLoadState();
    assert.equal((await page.getByRole('status').textContent()).trim(), 'Threshold added: 120 % of forecast spend.');
    await page.locator('.alert-rules li', { hasText: '120 % of forecast spend' }).waitFor();
  });

  it('gives a customer thresholds of its own on its page', async () => {
    await page.goto('/');
    const link = customerTable(page).locator('tbody a').first();
    const name = (await link.textContent()).trim();
    await link.click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Budget alerts' }) });
    await section.getByText('The partner-wide thresholds').waitFor();
    await section.getByLabel('Percentage of the budget').fill('1001');
    await section.getByRole('button', { name: 'Add threshold' }).click();
    await page.waitForLoadState();
    assert.match(await page.locator('#percent-error').textContent(), /from 1 to 1000/);
    await section.getByLabel('Percentage of the budget').fill('90');
    await section.getByRole('button', { name: 'Add threshold' }).click();
    await page.waitForLoadState();
    await section.getByText("This customer's own thresholds").waitFor();
    assert.match(await section.locator('.alert-rules li').first().textContent(), /90 % of actual spend: /);
    await checkPage(page, 'customer-alerts');
  });

  it('creates an alert team, refusing a bad webhook address next to the field, and shows only its host', async () => {
    await page.goto('/alerts');
    await page.getByRole('link', { name: 'alert teams' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alert teams' }).waitFor();
    await page.getByLabel('Team name').fill('West');
    await page.getByLabel('Webhook address (optional)').fill('http://teams.example/hook');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForLoadState();
    const url = page.getByLabel('Webhook address (optional)');
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.equal(await url.inputValue(), 'http://teams.example/hook');
    assert.equal(await page.getByLabel('Team name').inputValue(), 'West');
    assert.match(await page.locator('#new-team-url-error').textContent(), /starting with https:\/\//);
    await checkPage(page, 'teams-error');

    const secret = 'https://contoso.webhook.office.com/webhookb2/0123-secret';
    await url.fill(secret);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForLoadState();
    assert.equal((await page.getByRole('status').textContent()).trim(), 'Team "West" created.');
    const team = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'West' }) });
    assert.match(await team.textContent(), /Webhook: contoso\.webhook\.office\.com/);
    assert.ok(!(await page.content()).includes('0123-secret'), 'the webhook URL is not on the page');
    await team.getByLabel('Add a member (sign-in name)').fill('adele.owner@northwindcsp.example');
    await team.getByRole('button', { name: 'Add member' }).click();
    await page.waitForLoadState();
    await page.getByRole('list', { name: 'Members of West' }).getByText('adele.owner@northwindcsp.example').waitFor();
    await checkPage(page, 'teams');
  });

  it('keeps the digest preferences of the signed-in person', async () => {
    await page.getByRole('link', { name: 'Preferences' }).click();
    await page.getByRole('heading', { level: 1, name: 'Preferences' }).waitFor();
    assert.ok(await page.getByLabel('Send me the daily digest').isChecked());
    assert.equal(await page.getByLabel('Send it from (UTC)').inputValue(), '7');
    await checkPage(page, 'preferences');
    await page.getByLabel('Send it from (UTC)').selectOption('9');
    await page.getByLabel('Near budget').uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.waitForLoadState();
    assert.equal((await page.getByRole('status').textContent()).trim(), 'Your digest preferences are saved.');
    assert.equal(await page.getByLabel('Send it from (UTC)').inputValue(), '9');
    assert.equal(await page.getByLabel('Near budget').isChecked(), false);
    assert.ok(await page.getByLabel('Over budget').isChecked());
  });
});
