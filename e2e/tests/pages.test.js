// Every page, as a person sees it: axe-core finds no serious or critical violation, nothing
// overflows at 1440 or 1024 px (screenshots under test-results/screenshots/), numbers line
// up, keyboard focus shows, the customer page prints cleanly, and no page needs JavaScript.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';

import { newContext, signIn, USERS, waitForDashboard, waitForRefreshToEnd } from '../lib/browser.js';
import { checkPage, SCREENSHOTS } from '../lib/checks.js';
import { withAppAndBrowser } from '../lib/suite.js';
import { customerTable, readTable } from '../lib/tables.js';

describe('every page', { timeout: 240_000 }, () => {
  let app;
  let browser;
  /** The editor's page, in a context where axe-core may be injected. */
  let editor;
  /** A customer with a budget in a currency with cents: `{ name, currency, url }`. */
  let customer;

  withAppAndBrowser((started) => ({ app, browser } = started));

  before(async () => {
    editor = await (await newContext(browser, app.baseUrl, { bypassCSP: true })).newPage();
  });

  async function anonymousPage() {
    return (await newContext(browser, app.baseUrl, { bypassCSP: true })).newPage();
  }

  it('the sign-in page', async () => {
    const page = await anonymousPage();
    await page.goto('/sign-in');
    assert.equal(await page.title(), 'Sign in · Spendboard');
    await checkPage(page, 'sign-in');
  });

  it('the refresh progress page, while the first refresh runs and once it is done', async () => {
    // Partner Center takes its time over the usage records, so the progress page stays up.
    await app.control('POST', '/_sandbox/faults', {
      route: 'GET /v1/customers/usagerecords',
      times: 1,
      kind: 'delay',
      ms: 10_000,
    });
    await signIn(editor, USERS.editor);
    assert.equal(new URL(editor.url()).pathname, '/refresh');
    await editor.getByRole('heading', { name: 'Reading Partner Center…' }).waitFor();
    assert.ok(await editor.locator('progress').isVisible());
    await checkPage(editor, 'refresh-running');
    await waitForRefreshToEnd(editor);
    await checkPage(editor, 'refresh-done');
    await waitForDashboard(editor);
  });

  it('the refresh progress page updates itself in place and then focuses the result', async () => {
    await app.control('POST', '/_sandbox/faults', {
      route: 'GET /v1/customers/usagerecords',
      times: 1,
      kind: 'delay',
      ms: 5_000,
    });
    await editor.goto('/');
    await editor.getByRole('button', { name: 'Refresh now' }).click();
    // The refresh starts in the background: the first look may still show the last run's end.
    const running = editor.getByRole('heading', { name: 'Reading Partner Center…' });
    for (let i = 0; i < 20 && !(await running.isVisible()); i += 1) {
      await editor.waitForTimeout(250);
      await editor.goto('/refresh');
    }
    await running.waitFor();
    let navigations = 0;
    const count = (frame) => { if (frame === editor.mainFrame()) navigations += 1; };
    editor.on('framenavigated', count);
    try {
      await editor.getByRole('heading', { level: 1, name: 'Data refreshed' }).waitFor({ timeout: 20_000 });
    } finally {
      editor.off('framenavigated', count);
    }
    assert.equal(navigations, 0, 'the page was updated without reloading');
    assert.equal(await editor.evaluate(() => document.activeElement?.id), 'refresh-heading');
    assert.equal(await editor.title(), 'Data refreshed · Spendboard');
    assert.deepEqual(editor.context().consoleErrors.filter((line) => line.startsWith(app.baseUrl)), []);
  });

  it('the dashboard', async () => {
    await editor.goto('/');
    const { headers, rows } = await readTable(customerTable(editor));
    const row = rows.find((r) => r[headers.indexOf('Budget')] !== 'none' && !r.includes('JPY'));
    const link = customerTable(editor).getByRole('link', { name: row[0], exact: true });
    customer = { name: row[0], url: await link.getAttribute('href') };
    await checkPage(editor, 'dashboard');
    await editor.goto('/?page=2&sort=percent&dir=desc');
    await checkPage(editor, 'dashboard-page-2');
  });

  it('the dashboard lines numbers up, marks status in text beside the bar, and keeps its header in view', async () => {
    await editor.goto('/');
    const style = await customerTable(editor).evaluate((table) => {
      const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
      const firstRow = table.querySelector('tbody tr');
      const cell = (label) => firstRow.cells[headers.findIndex((h) => h.startsWith(label))];
      const css = (el) => getComputedStyle(el);
      return {
        spend: { align: css(cell('Spend')).textAlign, figures: css(cell('Spend')).fontVariantNumeric },
        budget: { align: css(cell('Budget')).textAlign, figures: css(cell('Budget')).fontVariantNumeric },
        header: css(table.querySelector('thead th')).position,
        bars: table.querySelectorAll('tbody svg.bar').length,
        rowsWithBarAndStatus: [...table.querySelectorAll('tbody tr')].filter(
          (tr) => tr.querySelector('svg.bar') && tr.querySelector('.status')?.textContent.trim(),
        ).length,
      };
    });
    assert.deepEqual(style.spend, { align: 'right', figures: 'tabular-nums' });
    assert.deepEqual(style.budget, { align: 'right', figures: 'tabular-nums' });
    assert.equal(style.header, 'sticky');
    assert.equal(style.bars, 50);
    assert.equal(style.rowsWithBarAndStatus, 50, 'every bar has its status in words');

    // Scrolled down, the column headers are still on screen.
    await editor.locator('table.customers tbody tr').nth(40).scrollIntoViewIfNeeded();
    const header = await customerTable(editor).locator('thead th').first().boundingBox();
    assert.ok(header.y >= -1 && header.y < 900, `the header stays in view (y = ${header.y})`);
  });

  it('the customer page of a budget editor', async () => {
    await editor.goto(customer.url);
    await editor.getByRole('heading', { name: 'Change the budget' }).waitFor();
    await checkPage(editor, 'customer-editor');
  });

  it('the subscription page of a customer', async () => {
    await editor.goto(customer.url);
    const subscriptions = editor.getByRole('table').filter({ has: editor.getByRole('columnheader', { name: 'Subscription' }) });
    await subscriptions.locator('tbody th a').first().click();
    await editor.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: customer.name }).waitFor();
    await checkPage(editor, 'subscription');
  });

  it('the customer page printed', async () => {
    await editor.goto(customer.url);
    await editor.emulateMedia({ media: 'print' });
    try {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await editor.screenshot({ path: path.join(SCREENSHOTS, 'customer-print.png'), fullPage: true });
      const hidden = await editor.evaluate(() =>
        ['.site-header', '.budget-form', '.site-footer'].map((s) => {
          const el = document.querySelector(s);
          return el ? getComputedStyle(el).display : 'none';
        }),
      );
      assert.deepEqual(hidden, ['none', 'none', 'none'], 'navigation, the form and the footer are not printed');
      assert.ok(await editor.getByRole('heading', { level: 1, name: customer.name }).isVisible());
      const pdf = await editor.pdf({ format: 'A4' });
      assert.ok(pdf.length > 1000, 'the page prints');
    } finally {
      await editor.emulateMedia({ media: 'screen' });
    }
  });

  it('the budget form with a refused amount', async () => {
    await editor.goto(customer.url);
    await editor.getByLabel(/^Monthly budget in/).fill('12.345,00');
    await editor.getByRole('button', { name: 'Save budget' }).click();
    await editor.locator('#amount-error').waitFor();
    await checkPage(editor, 'budget-error');
  });

  it('the budget form showing a conflict', async () => {
    const other = await (await newContext(browser, app.baseUrl)).newPage();
    await signIn(other, USERS.editor);
    await waitForDashboard(other);
    await editor.goto(customer.url);
    await other.goto(customer.url);
    await other.getByLabel(/^Monthly budget in/).fill('4321');
    await other.getByRole('button', { name: 'Save budget' }).click();
    await other.getByRole('status').waitFor();
    await other.context().close();
    await editor.getByLabel(/^Monthly budget in/).fill('5000');
    await editor.getByRole('button', { name: 'Save budget' }).click();
    await editor.locator('.conflict').waitFor();
    await checkPage(editor, 'budget-conflict');
  });

  it('the customer page of a reader', async () => {
    const page = await anonymousPage();
    await signIn(page, USERS.reader, { from: `/sign-in?return_to=${encodeURIComponent(customer.url)}` });
    await page.getByRole('heading', { level: 1, name: customer.name }).waitFor();
    await checkPage(page, 'customer-reader');
  });

  it('the no-access pages', async () => {
    for (const [user, name] of [[USERS.noRole, 'no-access-no-role'], [USERS.otherTenant, 'no-access-other-tenant']]) {
      const page = await anonymousPage();
      await signIn(page, user);
      await page.getByRole('heading', { name: 'No access to Spendboard' }).waitFor();
      assert.equal(await page.title(), 'No access · Spendboard');
      await checkPage(page, name);
    }
  });

  it('the page for an address that does not exist', async () => {
    const response = await editor.goto('/customers/not-a-customer/nothing-here');
    assert.equal(response.status(), 404);
    await editor.getByRole('heading', { level: 1, name: 'Not Found' }).waitFor();
    await checkPage(editor, 'error-404');
  });

  it('the sign-in page after signing out', async () => {
    const page = await anonymousPage();
    await signIn(page, USERS.reader);
    await waitForDashboard(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await checkPage(page, 'signed-out');
  });

  it('shows where the keyboard focus is on every link, field and button', async () => {
    await editor.goto(customer.url);
    await editor.keyboard.press('Tab');
    const skip = await focused(editor);
    assert.equal(skip.text, 'Skip to content');
    assert.ok(skip.visible, 'the skip link appears when focused');
    let stops = 0;
    for (let i = 0; i < 25; i += 1) {
      const state = await focused(editor);
      if (state.tag === 'BODY') break;
      assert.ok(
        state.outline || state.shadow,
        `focus is visible on <${state.tag.toLowerCase()}> "${state.text}" (outline ${state.outlineText})`,
      );
      stops += 1;
      await editor.keyboard.press('Tab');
    }
    assert.ok(stops >= 8, `the page has keyboard stops: ${stops}`);
  });

  it('works with JavaScript turned off: sign in, sort, and change a budget', async () => {
    const context = await browser.newContext({ baseURL: app.baseUrl, javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, USERS.editor);
    await waitForDashboard(page);
    await customerTable(page).getByRole('columnheader', { name: 'Spend', exact: true }).getByRole('link').click();
    await page.waitForURL(/sort=spend/);
    await page.goto(customer.url);
    await page.getByLabel(/^Monthly budget in/).fill('777');
    await page.getByRole('button', { name: 'Save budget' }).click();
    assert.match(await page.getByRole('status').textContent(), /set to 777\.00/);
    await context.close();
  });
});

/** What has the keyboard focus, and whether it is drawn. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const css = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName,
      text: (el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40),
      outline: css.outlineStyle !== 'none' && parseFloat(css.outlineWidth) >= 2,
      outlineText: `${css.outlineStyle} ${css.outlineWidth}`,
      shadow: css.boxShadow !== 'none',
      visible: box.right > 0 && box.bottom > 0 && box.width > 1,
    };
  });
}
