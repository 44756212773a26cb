//! Sign-in, the signed-in user in the session, roles, CSRF tokens and the delegated Partner
//! Center token of each user.

mod csrf;
mod keys;
mod oidc;
mod pending;
mod roles;
mod session;
mod tokens;

pub use csrf::{CsrfToken, verify_csrf};
pub use keys::{DecryptError, Keys, TokenCipher};
pub use oidc::{
    DelegatedTokens, OidcClient, PARTNER_CENTER_AUDIENCE, PendingSignIn, Renewed, SignInError,
    SignedIn,
};
pub use pending::{
    PENDING_COOKIE, PENDING_TTL_SECONDS, pending_cookie, read_pending, removal_cookie,
};
pub use roles::Access;
pub use session::{CurrentUser, SessionUser, TypedSession};
pub use tokens::{delegated_token, save_tokens};
