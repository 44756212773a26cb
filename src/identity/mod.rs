//! The building blocks of sign-in that need nothing of the application: the OpenID Connect
//! client (discovery, authorization code with PKCE, ID-token validation, token renewal) and
//! the keys that encrypt tokens at rest and sign cookies. `auth` builds the session and the
//! signed-in user on top of them.

mod keys;
mod oidc;

pub use keys::{CookieKey, DecryptError, Keys, TokenCipher};
pub use oidc::{
    DelegatedTokens, OidcClient, PARTNER_CENTER_AUDIENCE, PendingSignIn, Renewed, SignInError,
    SignedIn,
};
