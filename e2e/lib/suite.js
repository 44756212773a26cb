// The set-up most suites share, registered as the suite's `before` and `after` hooks: a
// Spendboard with its sandbox and a browser, and a page signed in with the first refresh done.

import { after, before } from 'node:test';

import { launch, newContext, signInAndLoad } from './browser.js';
import { startApp } from './servers.js';

/**
 * Before the suite's tests, starts Spendboard with a sandbox (`startApp(appOptions)`) and a
 * browser and hands them to `set({ app, browser })`; after them, closes the browser and stops
 * both servers. Call it in a `describe` callback.
 */
export function withAppAndBrowser(set, appOptions = {}) {
  let app;
  let browser;

  before(async () => {
    app = await startApp(appOptions);
    browser = await launch();
    set({ app, browser });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });
}

/**
 * As `withAppAndBrowser`, then a page of a new browser context (`context`: the options of
 * `newContext`) signed in as `user` with the dashboard loaded; `set({ app, browser, page })`.
 */
export function withSignedInPage(user, set, { app: appOptions = {}, context = {} } = {}) {
  let started;
  withAppAndBrowser((servers) => {
    started = servers;
  }, appOptions);

  before(async () => {
    const page = await (await newContext(started.browser, started.app.baseUrl, context)).newPage();
    await signInAndLoad(page, user);
    set({ ...started, page });
  });
}
