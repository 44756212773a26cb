// What every page must pass: axe-core finds no serious or critical violation, and the page
// does not overflow horizontally at any of the checked widths (screenshots are kept).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { VIEWPORTS } from './browser.js';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const e2eRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots of every page at every width land here (git-ignored). */
export const SCREENSHOTS = path.join(e2eRoot, 'test-results', 'screenshots');
/** Every violation axe-core reported, per page, whatever its impact (git-ignored). */
const AXE_RESULTS = path.join(e2eRoot, 'test-results', 'axe');

/** The WCAG rule sets axe runs, plus its best practices (landmarks, one main, page title...). */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation. The page
 * must belong to a context created with `bypassCSP: true` (axe is added as a script tag).
 */
export async function assertAccessible(page, name) {
  const results = await retryingNavigation(page, async () => {
    await page.addScriptTag({ path: AXE });
    return page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
      AXE_TAGS,
    );
  });
  mkdirSync(AXE_RESULTS, { recursive: true });
  writeFileSync(
    path.join(AXE_RESULTS, `${name}.json`),
    JSON.stringify(results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target) })), null, 2),
  );
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`),
    [],
    `axe-core found serious or critical violations on the ${name} page`,
  );
  return results.violations;
}

/**
 * Takes a full-page screenshot at each width of `VIEWPORTS` (named `<name>-<width>.png`) and
 * fails when the page is wider than the window.
 */
export async function assertFitsAndCapture(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  try {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const widths = await retryingNavigation(page, async () => {
        const measured = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          // Boxes whose content is cut off or scrolls sideways (a table too wide for its frame).
          clipped: [...document.querySelectorAll('main, main section, .card, .table-wrap, figure')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} (${el.scrollWidth} > ${el.clientWidth} px)`),
        }));
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${viewport.width}.png`), fullPage: true });
        return measured;
      });
      assert.ok(
        widths.scrollWidth <= widths.innerWidth,
        `the ${name} page overflows horizontally at ${viewport.width} px: ${widths.scrollWidth} px wide`,
      );
      assert.deepEqual(widths.clipped, [], `on the ${name} page at ${viewport.width} px, content is wider than its box`);
    }
  } finally {
    await page.setViewportSize(original);
  }
}

/** Both checks: accessibility, then layout at every width. */
export async function checkPage(page, name) {
  await assertAccessible(page, name);
  await assertFitsAndCapture(page, name);
}

/**
 * Pages that reload themselves (the refresh progress page) may navigate while a check runs;
 * the check is then run again on the reloaded page.
 */
async function retryingNavigation(page, check) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await check();
    } catch (error) {
      const navigated = /Execution context was destroyed|navigat|Target closed|frame was detached/i.test(String(error));
      if (!navigated || attempt >= 5) throw error;
      await page.waitForLoadState('load');
    }
  }
}
