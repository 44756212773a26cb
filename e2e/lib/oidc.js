// A standard OpenID Connect provider that is not the sandbox: oauth2-mock-server (from the npm
// registry), run in this process. Its issuer is `http://localhost:<port>` with no tenant path,
// and its ID tokens carry no Entra ID claims (`tid`, `oid`) unless a test adds them.

import { OAuth2Server } from 'oauth2-mock-server';

/**
 * Starts the provider on a free port of 127.0.0.1. Every ID token it issues gets `claims()`
 * (called per token, so a test may change what the next sign-in says). Returns
 * `{ issuer, stop() }`.
 */
export async function startOidcProvider(claims) {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  server.service.on('beforeTokenSigning', (token) => {
    Object.assign(token.payload, claims());
  });
  await server.start(0, '127.0.0.1');
  return {
    issuer: server.issuer.url,
    stop: () => server.stop(),
  };
}
