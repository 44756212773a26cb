//! Sign-in, the signed-in user in the session, roles, CSRF tokens and the delegated Partner
//! Center token of each user.

mod csrf;
mod pending;
mod roles;
mod session;
mod sign_in;
mod tokens;

pub use crate::identity::{
    DecryptError, DelegatedTokens, Keys, OidcClient, PARTNER_CENTER_AUDIENCE, PendingSignIn,
    Renewed, SignInError, SignedIn, TokenCipher,
};
pub use csrf::{CsrfToken, verify_csrf};
pub use pending::{
    PENDING_COOKIE, PENDING_TTL_SECONDS, pending_cookie, read_pending, removal_cookie,
};
pub use roles::Access;
pub use session::{CurrentUser, SessionUser, TypedSession};
pub use sign_in::{Completed, ProviderReply, SignInFailure, complete_sign_in};
pub use tokens::{delegated_token, save_tokens};
