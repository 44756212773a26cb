// Signing in with a standard OpenID Connect provider that is not the sandbox: its issuer has
// no tenant path and its ID tokens no Entra ID claims. Spendboard discovers it at its issuer,
// checks the issuer exactly, and signs the person in with the roles the token gives.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { launch, newContext } from '../lib/browser.js';
import { startOidcProvider } from '../lib/oidc.js';
import { startApp } from '../lib/servers.js';

describe('signing in with another OpenID provider', { timeout: 180_000 }, () => {
  let provider;
  let app;
  let browser;
  // What the provider's next ID token says beyond the standard claims.
  let claims = {};

  before(async () => {
    provider = await startOidcProvider(() => claims);
    app = await startApp({
      identity: { authority: provider.issuer, clientId: 'spendboard-staging', clientSecret: 'staging-secret' },
    });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await provider?.stop();
  });

  async function signInThroughProvider() {
    const context = await newContext(browser, app.baseUrl);
    const page = await context.newPage();
    await page.goto('/');
    // The provider answers at once, with no page of its own: straight back to Spendboard,
    // whose callback shows a refusal or sends the person on.
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    return page;
  }

  it('a person with a role in the token is signed in under their name, and signs out', async () => {
    assert.doesNotMatch(provider.issuer, /\/[0-9a-f-]{36}/, 'the issuer has no tenant path');
    claims = { name: 'Nestor Wilke', preferred_username: 'nestor@staging.example', roles: ['Spendboard.Reader'] };
    const page = await signInThroughProvider();
    const header = page.getByRole('banner');
    await header.getByText('Nestor Wilke').waitFor();
    assert.match(await header.textContent(), /Reader/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'signed out: back to sign-in');
  });

  it('a token without a Spendboard role signs nobody in and says why', async () => {
    claims = { name: 'Lynne Robbins', preferred_username: 'lynne@staging.example', roles: [] };
    const page = await signInThroughProvider();
    await page.getByText('Lynne Robbins, your account has no Spendboard role').waitFor();
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/sign-in');
  });

  it('an ID token naming another issuer is refused', async () => {
    claims = { name: 'Mallory', roles: ['Spendboard.BudgetEditor'], iss: 'http://localhost:1/elsewhere' };
    const page = await signInThroughProvider();
    await page.getByText(/belongs to another organization/).waitFor();
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/sign-in');
  });
});
