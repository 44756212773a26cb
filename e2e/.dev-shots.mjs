// DEV ONLY (not committed): screenshots with the stylesheet served from disk.
import { readFileSync } from 'node:fs';
import { startApp } from './lib/servers.js';
import { launch, newContext, signInAndLoad, USERS } from './lib/browser.js';
const app = await startApp();
const browser = await launch();
const ctx = await newContext(browser, app.baseUrl);
await ctx.route('**/static/style.css', (route) => route.fulfill({ contentType: 'text/css', body: readFileSync('/work/main/static/style.css') }));
const page = await ctx.newPage();
await signInAndLoad(page, USERS.editor);
const cust = await page.locator('table.customers tbody tr').nth(1).locator('th a').getAttribute('href');
const shots = process.argv.slice(2);
for (const [name, url, w, h] of [
  ['dash', '/', 1024, 900], ['dash', '/', 1440, 900], ['cust', cust, 1024, 1100], ['cust', cust, 1440, 900],
  ['signin', '/sign-in', 1024, 700], ['refresh', '/refresh', 1024, 700],
]) {
  if (shots.length && !shots.includes(name)) continue;
  await page.setViewportSize({ width: w, height: h });
  await page.goto(url);
  await page.screenshot({ path: `/tmp/shots/${name}-${w}.png` });
  const wide = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].map((e) => [e.scrollWidth, e.clientWidth]));
  console.log(name, w, JSON.stringify(wide), await page.evaluate(() => document.documentElement.scrollWidth));
}
await browser.close();
await app.stop();
